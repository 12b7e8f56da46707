import type { AccountRole, Rejection } from './outcomes.js';
import type { AccountState } from './planBatch.js';

// What a wallet's status allows. Frozen: no money leaves it (withdrawals, transfers and holds from
// it, reversals debiting it), but credits, hold voids and expiries still apply, and a hold made
// before the freeze can be captured (its money was reserved then). Closed: nothing posts to it or
// from it, ever. Settlement accounts are always active. The database refuses a closed account that
// is not empty (accounts_closed_is_empty), as the last line of defence.

/** Why money may not leave `account`, if it may not. */
export function debitRefusal(account: AccountState, role: AccountRole): Rejection | undefined {
  if (account.status === 'closed') return { code: 'account_closed', accountId: account.id, role };
  if (account.status === 'frozen') return { code: 'account_frozen', accountId: account.id, role };
  return undefined;
}

/** Why money may not enter `account`, if it may not. */
export function creditRefusal(account: AccountState, role: AccountRole): Rejection | undefined {
  return account.status === 'closed' ? { code: 'account_closed', accountId: account.id, role } : undefined;
}

/** Why a movement from `source` to `destination` is refused by their statuses, if it is. */
export function movementRefusal(
  source: AccountState,
  destination: AccountState,
  roles: { source: AccountRole; destination: AccountRole },
): Rejection | undefined {
  return debitRefusal(source, roles.source) ?? creditRefusal(destination, roles.destination);
}
