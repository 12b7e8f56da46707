import type pg from 'pg';
import type { AccountHistoryRow } from '../ledgerRows.js';

export type ListedAccountHistoryRow = AccountHistoryRow & { created_at: Date };

/**
 * An account's settings changes, newest first, starting below `beforeVersion` when given (keyset
 * pagination on the primary key). Returns one row more than `limit` when more exist.
 */
export async function listAccountHistory(
  db: pg.Pool,
  accountId: string,
  limit: number,
  beforeVersion: bigint | undefined,
): Promise<ListedAccountHistoryRow[]> {
  const result = await db.query<Omit<ListedAccountHistoryRow, 'version'> & { version: string }>({
    name: 'list_account_history',
    text: `SELECT account_id, version::text AS version, request_id, changes, created_at FROM account_history
           WHERE account_id = $1 AND ($2::bigint IS NULL OR account_history.version < $2::bigint)
           ORDER BY account_history.version DESC LIMIT $3`,
    values: [accountId, beforeVersion?.toString() ?? null, limit + 1],
  });
  return result.rows.map((row) => ({ ...row, version: BigInt(row.version) }));
}
