import { accountETag } from './accountETag.js';
import { accountUpdatedEvent, type AccountChange } from './events.js';
import type { AccountHistoryRow, AccountRow, AccountSettingsRow } from './ledgerRows.js';
import type { UpdateAccount } from './operations.js';
import { rejected, type AccountUpdated, type Rejected, type Rejection } from './outcomes.js';
import type { AccountState, LockedOnlyFields } from './planBatch.js';
import { PlanWork } from './planWork.js';

// Decides a PATCH of an account's settings (status, overdraft limit, metadata) against the batch's
// working state, in the same batch and database transaction as every other write of the account.
// The If-Match ETag is compared with the row as locked (and as the batch's earlier operations left
// it), so a posting or a hold that another writer committed meanwhile makes it 412. A change bumps
// the version (the lock statement's check then catches a writer that planned on the old row),
// appends a history row and an account.updated event; a PATCH that changes nothing writes nothing.

type FieldChanges = AccountHistoryRow['changes'];

export function updateAccount(work: PlanWork, operation: UpdateAccount): AccountUpdated | Rejected {
  const account = work.accounts.get(operation.accountId);
  if (!account) return rejected({ code: 'account_not_found', accountId: operation.accountId, role: 'account', isSettlement: false });
  if (account.kind === 'settlement') return rejected({ code: 'settlement_account_fixed', accountId: account.id });
  const current = asLockedRow(work, account);
  if (!matchesIfMatch(operation.ifMatch, accountETag(current))) return rejected({ code: 'precondition_failed', accountId: account.id });
  const { changes, refusal } = fieldChanges(current, operation);
  if (refusal) return rejected(refusal);
  if (Object.keys(changes).length === 0) return { kind: 'account_updated', account: current, replayed: false };
  applyChanges(work, account, operation);
  const after = asLockedRow(work, account);
  const history: AccountHistoryRow = { account_id: account.id, version: account.version, request_id: operation.requestId, changes };
  work.accountHistory.push(history);
  work.events.push(accountUpdatedEvent(changeOf(changes), after, history, work.settings.routingKeyPrefix));
  return { kind: 'account_updated', account: after, replayed: false };
}

/** Each field the PATCH changes, from its value now to the one asked, or why the change is refused. */
function fieldChanges(current: AccountRow, operation: UpdateAccount): { changes: FieldChanges; refusal?: Rejection } {
  const changes: FieldChanges = {};
  const refusal = collectChanges(current, operation, changes);
  return refusal ? { changes, refusal } : { changes };
}

function collectChanges(current: AccountRow, operation: UpdateAccount, changes: FieldChanges): Rejection | undefined {
  const { status, overdraftLimit, metadata } = operation;
  if (current.status === 'closed' && (status !== undefined || (overdraftLimit !== undefined && overdraftLimit !== current.overdraft_limit))) {
    // A closed account never reopens, and has nothing left to overdraw.
    return { code: 'account_closed', accountId: current.id, role: 'account' };
  }
  if (status !== undefined && status !== current.status) {
    if (status === 'closed' && (current.balance !== 0n || current.pending_debits !== 0n || current.pending_credits !== 0n)) {
      return {
        code: 'account_not_empty',
        accountId: current.id,
        balance: current.balance,
        pendingDebits: current.pending_debits,
        pendingCredits: current.pending_credits,
      };
    }
    changes.status = { from: current.status, to: status };
  }
  if (overdraftLimit !== undefined && overdraftLimit !== current.overdraft_limit) {
    const available = PlanWork.available({ ...current, overdraft_limit: overdraftLimit });
    // The wallet already spends more than the new limit allows: lowering it would break the checks.
    if (available < 0n || current.balance + overdraftLimit < 0n) {
      return { code: 'overdraft_limit_too_low', accountId: current.id, overdraftLimit, availableBalance: available };
    }
    changes.overdraft_limit = { from: current.overdraft_limit.toString(), to: overdraftLimit.toString() };
  }
  if (metadata !== undefined && JSON.stringify(metadata) !== JSON.stringify(current.metadata)) {
    changes.metadata = { from: current.metadata, to: metadata };
  }
  return undefined;
}

/** Moves the working copy and records the settings row, merged with an earlier PATCH of the batch (one UPDATE per row). */
function applyChanges(work: PlanWork, account: AccountState, operation: UpdateAccount): void {
  const settings: AccountSettingsRow = work.accountSettings.find((row) => row.id === account.id) ?? { id: account.id };
  if (!work.accountSettings.includes(settings)) work.accountSettings.push(settings);
  if (operation.status !== undefined) account.status = settings.status = operation.status;
  if (operation.overdraftLimit !== undefined) account.overdraft_limit = settings.overdraft_limit = operation.overdraftLimit;
  if (operation.metadata !== undefined) account.metadata = settings.metadata = operation.metadata;
  account.version += 1n;
  work.changed.add(account.id);
}

/**
 * The working copy as a full row. Updates are planned only on rows read under the batch's lock
 * (isPlannedOnRememberedRows), which carry every field. An account the batch already changed was
 * last updated now (its balance update sets updated_at).
 */
function asLockedRow(work: PlanWork, account: AccountState): AccountRow {
  const { external_ref, metadata, created_at, updated_at } = account;
  if (external_ref === undefined || metadata === undefined || created_at === undefined || updated_at === undefined) {
    throw new Error(`invariant: account ${account.id} was not read under the batch's lock`);
  }
  const locked: LockedOnlyFields = { external_ref, metadata, created_at, updated_at: work.changed.has(account.id) ? work.now : updated_at };
  return { ...account, ...locked };
}

/** If-Match's strong comparison (RFC 9110 13.1.1): '*' matches any current account. */
function matchesIfMatch(ifMatch: string[] | '*', etag: string): boolean {
  return ifMatch === '*' || ifMatch.includes(etag);
}

function changeOf(changes: FieldChanges): AccountChange {
  const status = changes.status;
  if (status) return status.to === 'closed' ? 'account.closed' : status.to === 'frozen' ? 'account.frozen' : 'account.unfrozen';
  return changes.overdraft_limit ? 'account.overdraft_limit_changed' : 'account.metadata_changed';
}
