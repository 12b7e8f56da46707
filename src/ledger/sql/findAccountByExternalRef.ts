import type pg from 'pg';
import type { AccountRow } from '../ledgerRows.js';
import { ACCOUNT_COLUMNS, toAccountRow, type RawAccountRow } from './accountRows.js';

// The account an external_ref names, for the operator console's look-up. external_ref is UNIQUE,
// so its index answers this with at most one row.

export async function findAccountByExternalRef(db: pg.Pool, externalRef: string): Promise<AccountRow | undefined> {
  const result = await db.query<RawAccountRow>({
    name: 'find_account_by_external_ref',
    text: `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE external_ref = $1`,
    values: [externalRef],
  });
  const raw = result.rows[0];
  return raw && toAccountRow(raw);
}
