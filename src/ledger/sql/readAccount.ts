import type pg from 'pg';
import type { AccountRow } from '../ledgerRows.js';
import { ACCOUNT_COLUMNS, toAccountRow, type RawAccountRow } from './accountRows.js';

export async function readAccount(db: pg.Pool, id: string): Promise<AccountRow | undefined> {
  const result = await db.query<RawAccountRow>({
    name: 'read_account',
    text: `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = $1`,
    values: [id],
  });
  const raw = result.rows[0];
  return raw && toAccountRow(raw);
}
