import type pg from 'pg';
import { unquotedArray } from '../../db/arrayLiteral.js';
import type { AccountState, BatchPlan } from '../planBatch.js';
import { writeValues } from './writeBatch.js';

const COMMIT_PLANNED_BATCH_SQL = `SELECT commit_planned_batch_v4($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
  $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40,
  $41, $42, $43, $44, $45, $46, $47, $48, $49, $50, $51, $52)`;

/**
 * A batch planned against remembered rows, as one statement (commit_planned_batch_v4 in
 * migrations/*_holds-stored-by-reference.sql): it locks the accounts in the one global order, checks
 * under the locks that each still has the balance, version and pending sums the batch was planned against, and
 * writes the plan (writeBatch). Sent outside an explicit transaction, the statement is its own
 * transaction and is committed when it returns. It fails with SQLSTATE WL002 (sqlstate.ts), having
 * written nothing, when an account changed or a hold planned against (still pending when this
 * writer last wrote it) is no longer pending, and with WL001 when another writer stored one of its keys.
 */
export function commitPlannedBatch(
  plannedAgainst: ReadonlyMap<string, AccountState>,
  plan: BatchPlan,
  pendingHoldIds: readonly string[] = [],
): pg.QueryConfig {
  const planned = [...plannedAgainst.values()];
  return {
    name: 'commit_planned_batch',
    text: COMMIT_PLANNED_BATCH_SQL,
    values: [
      unquotedArray(planned.map((state) => state.id)), unquotedArray(planned.map((state) => state.balance)),
      unquotedArray(planned.map((state) => state.version)), unquotedArray(planned.map((state) => state.pending_debits)),
      unquotedArray(planned.map((state) => state.pending_credits)),
      ...writeValues(plan),
      pendingHoldIds,
    ],
  };
}
