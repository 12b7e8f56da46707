import type { PreparedStatement } from '../../db/oneSyncTransaction.js';
import type { AccountState } from '../planBatch.js';

/**
 * Locks the accounts in the one global order and checks, under the locks, that each still has the
 * balance and version the batch was planned against; fails with SQLSTATE WL002 (sqlstate.ts),
 * aborting the transaction, when one changed. See migrations/*_one-round-trip-batch.sql.
 */
export function lockAccountsAsPlanned(states: ReadonlyMap<string, AccountState>): PreparedStatement {
  const planned = [...states.values()];
  return {
    name: 'lock_accounts_as_planned',
    text: 'SELECT lock_accounts_as_planned($1::uuid[], $2::numeric[], $3::bigint[])',
    values: [planned.map((state) => state.id), planned.map((state) => state.balance.toString()), planned.map((state) => state.version.toString())],
  };
}
