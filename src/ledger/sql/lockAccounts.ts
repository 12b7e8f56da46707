import type pg from 'pg';
import type { AccountRow } from '../resources.js';
import { ACCOUNT_COLUMNS, toAccountRow, type RawAccountRow } from './accountRows.js';

/**
 * Locks the accounts for the rest of the database transaction, in the one global order every
 * writer uses (wallets by id, then settlement accounts by id), so that writers never deadlock.
 * Settlement accounts come last because every deposit and withdrawal needs them: they stay
 * locked for the shortest time.
 */
export async function lockAccounts(client: pg.PoolClient, ids: string[]): Promise<Map<string, AccountRow>> {
  const result = await client.query<RawAccountRow>({
    name: 'lock_accounts',
    text: `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1::uuid[])
           ORDER BY kind = 'settlement', id FOR UPDATE`,
    values: [ids],
  });
  return new Map(result.rows.map((raw) => [raw.id, toAccountRow(raw)]));
}
