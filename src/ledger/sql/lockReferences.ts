import type pg from 'pg';
import type { LedgerTransactionRow } from '../ledgerRows.js';
import type { LockedReferences, OriginalTransaction } from '../planBatch.js';
import { toHoldRow, type RawHoldRow } from './holdRows.js';

/**
 * The holds and reversed transactions of a batch, read inside its database transaction right after
 * its accounts are locked (lockBatch), as a statement of its own so that it sees every commit made
 * before those locks were granted: a hold's writers all lock its accounts first, and every
 * reversal of a transaction debits (and so locks) the original's destination. Holds are locked
 * FOR UPDATE as well, in id order. A reversed transaction comes with the sum of its reversals.
 */
const LOCK_REFERENCES_SQL = `
WITH held AS (
  SELECT id, source_account_id, destination_account_id, amount::text AS amount, captured_amount::text AS captured_amount,
         currency, status, expires_at, capture_transaction_id, description, metadata, created_at, updated_at
  FROM holds WHERE id = ANY($1::uuid[])
  ORDER BY id
  FOR UPDATE
), originals AS (
  SELECT t.id, t.type, t.amount::text AS amount, t.source_account_id, t.destination_account_id,
         (SELECT coalesce(sum(r.amount), 0) FROM ledger_transactions r WHERE r.reverses_transaction_id = t.id)::text AS reversed_amount
  FROM ledger_transactions t WHERE t.id = ANY($2::uuid[])
)
SELECT (SELECT coalesce(json_agg(held), '[]') FROM held) AS holds,
       (SELECT coalesce(json_agg(originals), '[]') FROM originals) AS originals`;

type RawOriginal = Pick<LedgerTransactionRow, 'id' | 'type' | 'source_account_id' | 'destination_account_id'> & {
  amount: string;
  reversed_amount: string;
};

export function lockReferences(holdIds: string[], originalIds: string[]): pg.QueryConfig {
  return { name: 'lock_references', text: LOCK_REFERENCES_SQL, values: [holdIds, originalIds] };
}

export function toLockedReferences(result: pg.QueryResult): LockedReferences {
  const row = result.rows[0] as { holds: RawHoldRow[]; originals: RawOriginal[] };
  const originals = new Map<string, OriginalTransaction>(row.originals.map(({ amount, reversed_amount: reversed, ...transaction }) => [
    transaction.id,
    { transaction: { ...transaction, amount: BigInt(amount) }, reversedAmount: BigInt(reversed) },
  ]));
  return { holds: new Map(row.holds.map((raw) => [raw.id, toHoldRow(raw)])), originals };
}
