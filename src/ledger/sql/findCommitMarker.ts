import type pg from 'pg';

/** One row a batch writes, whose presence proves the batch committed (it is all or nothing). */
export type CommitMarker =
  | { table: 'ledger_transactions' | 'accounts'; id: string }
  | { table: 'idempotency_keys'; key: string; fingerprint: string }
  | { table: 'hold_changes'; holdId: string; status: string }
  | { table: 'account_history'; accountId: string; version: string };

const QUERIES = {
  ledger_transactions: 'SELECT 1 FROM ledger_transactions WHERE id = $1',
  accounts: 'SELECT 1 FROM accounts WHERE id = $1',
  idempotency_keys: 'SELECT 1 FROM idempotency_keys WHERE key = $1 AND fingerprint = $2',
  hold_changes: 'SELECT 1 FROM hold_changes WHERE hold_id = $1 AND status = $2',
  account_history: 'SELECT 1 FROM account_history WHERE account_id = $1 AND version = $2',
} as const;

function parametersOf(marker: CommitMarker): string[] {
  switch (marker.table) {
    case 'idempotency_keys':
      return [marker.key, marker.fingerprint];
    case 'hold_changes':
      return [marker.holdId, marker.status];
    case 'account_history':
      return [marker.accountId, marker.version];
    default:
      return [marker.id];
  }
}

export async function findCommitMarker(db: pg.Pool, marker: CommitMarker): Promise<boolean> {
  const result = await db.query(QUERIES[marker.table], parametersOf(marker));
  return (result.rowCount ?? 0) > 0;
}
