import type pg from 'pg';
import { unquotedArray } from '../../db/arrayLiteral.js';
import { functionCall } from '../../db/functionCall.js';
import type { AccountState, BatchPlan } from '../planBatch.js';
import { writeValues } from './writeBatch.js';

const COMMIT_PLANNED_BATCH_SQL = functionCall('commit_planned_batch_v5', 69);

/**
 * A batch planned against remembered rows, as one statement (commit_planned_batch_v5 in
 * migrations/*_hold-state-written-alone.sql): it locks the accounts in the one global order, checks
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
