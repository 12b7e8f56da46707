import type pg from 'pg';
import type { AccountState } from '../planBatch.js';

/**
 * Locks the accounts in the one global order and checks, under the locks, that each still has the
 * balance and version the batch was planned against; fails with SQLSTATE WL002 (sqlstate.ts),
 * aborting the transaction, when one changed. See migrations/*_one-round-trip-batch.sql.
 */
export async function lockAccountsAsPlanned(client: pg.PoolClient, states: ReadonlyMap<string, AccountState>): Promise<void> {
  const planned = [...states.values()];
  await client.query({
    name: 'lock_accounts_as_planned',
    text: 'SELECT lock_accounts_as_planned($1::uuid[], $2::numeric[], $3::bigint[])',
    values: [planned.map((state) => state.id), planned.map((state) => state.balance.toString()), planned.map((state) => state.version.toString())],
  });
}
