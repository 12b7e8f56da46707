import type pg from 'pg';
import { startBelow, type ListPosition } from '../listPosition.js';

/** Which ledger transactions are listed; an undefined field does not filter. */
export interface LedgerTransactionFilters {
  /** The account on either side (source or destination). */
  accountId?: string;
  type?: string;
  /** created_at at or after (RFC 3339 text). */
  from?: string;
  /** created_at before (RFC 3339 text): the window is half-open, [from, to). */
  to?: string;
  /** Every key must hold this string value (metadata @> the object). */
  metadata?: Record<string, string>;
}

/**
 * The positions (created_at, id) of the ledger transactions matching every filter, newest first,
 * starting below `after`; the caller reads the transactions themselves by id. Returns one more
 * than `limit` when more exist. Plain SELECTs: they take no lock.
 *
 * With an account, each side is read along its own index and the two merged (a transaction's
 * accounts differ, so no row comes twice), and its multi-leg transactions, which name no sides,
 * are found through its entries (an entry is written with its transaction's time, so the page's
 * position bounds that scan too; one transaction's several entries of the account count once).
 * This last scan walks the account's entries back from the page's position until it has a page
 * of multi-leg transactions: on an account with many entries and few of those, it reads them all.
 * Without an account, the first branch reads the whole ledger
 * in order. Unnamed on purpose: PostgreSQL plans an unnamed statement with its values each time,
 * so the branches that cannot match ($1 null, or not null) and the filters left out fold away and
 * each branch picks the index of the filters given. A named statement may settle on one generic
 * plan for every combination.
 */
export async function listLedgerTransactions(
  db: pg.Pool,
  filters: LedgerTransactionFilters,
  limit: number,
  after: ListPosition,
): Promise<ListPosition[]> {
  // `to` joins the page's start as one upper bound of the scan (listPosition.ts says why).
  const below = startBelow(after, filters.to);
  const result = await db.query<{ id: string; position_created_at: string }>({
    text: `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position_created_at
           FROM (
             (SELECT id, created_at FROM ledger_transactions
              WHERE $1::uuid IS NULL
                AND ($2::text IS NULL OR type = $2::text)
                AND ($3::timestamptz IS NULL OR created_at >= $3::timestamptz)
                AND ($4::jsonb IS NULL OR metadata @> $4::jsonb)
                AND (created_at, id) < ($5::timestamptz, $6::uuid)
              ORDER BY created_at DESC, id DESC LIMIT $7)
             UNION ALL
             (SELECT id, created_at FROM ledger_transactions
              WHERE source_account_id = $1::uuid
                AND ($2::text IS NULL OR type = $2::text)
                AND ($3::timestamptz IS NULL OR created_at >= $3::timestamptz)
                AND ($4::jsonb IS NULL OR metadata @> $4::jsonb)
                AND (created_at, id) < ($5::timestamptz, $6::uuid)
              ORDER BY created_at DESC, id DESC LIMIT $7)
             UNION ALL
             (SELECT id, created_at FROM ledger_transactions
              WHERE destination_account_id = $1::uuid
                AND ($2::text IS NULL OR type = $2::text)
                AND ($3::timestamptz IS NULL OR created_at >= $3::timestamptz)
                AND ($4::jsonb IS NULL OR metadata @> $4::jsonb)
                AND (created_at, id) < ($5::timestamptz, $6::uuid)
              ORDER BY created_at DESC, id DESC LIMIT $7)
             UNION ALL
             (SELECT DISTINCT t.id, t.created_at FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
              WHERE e.account_id = $1::uuid AND e.created_at <= $5::timestamptz
                AND t.type = 'multi_leg'
                AND ($2::text IS NULL OR t.type = $2::text)
                AND ($3::timestamptz IS NULL OR t.created_at >= $3::timestamptz)
                AND ($4::jsonb IS NULL OR t.metadata @> $4::jsonb)
                AND (t.created_at, t.id) < ($5::timestamptz, $6::uuid)
              ORDER BY t.created_at DESC, t.id DESC LIMIT $7)
           ) matching
           ORDER BY created_at DESC, id DESC LIMIT $7`,
    values: [
      filters.accountId ?? null,
      filters.type ?? null,
      filters.from ?? null,
      filters.metadata ? JSON.stringify(filters.metadata) : null,
      below.createdAt,
      below.id,
      limit + 1,
    ],
  });
  return result.rows.map((row) => ({ createdAt: row.position_created_at, id: row.id }));
}
