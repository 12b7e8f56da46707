import type pg from 'pg';
import type { AccountRow } from '../resources.js';

/**
 * Locks the accounts in the one global order and checks, under the locks, that each still has the
 * balance and version the batch was planned against; fails with SQLSTATE WL002 (sqlstate.ts),
 * aborting the transaction, when one changed. See migrations/*_one-round-trip-batch.sql.
 */
export async function lockAccountsAsPlanned(client: pg.PoolClient, rows: ReadonlyMap<string, AccountRow>): Promise<void> {
  const planned = [...rows.values()];
  await client.query({
    name: 'lock_accounts_as_planned',
    text: 'SELECT lock_accounts_as_planned($1::uuid[], $2::numeric[], $3::bigint[])',
    values: [planned.map((row) => row.id), planned.map((row) => row.balance.toString()), planned.map((row) => row.version.toString())],
  });
}
