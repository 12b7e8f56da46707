import type { AccountChange } from '../ledger/events.js';
import type { AccountHistoryRow, AccountRow, EntryRow, HoldRow, LegRow, MultiLegTransactionRow, PostedTransactionRow } from '../ledger/ledgerRows.js';

// The `data` of each event, built from the ledger's rows in the shapes that
// docs/contracts/wallet-ledger-events.md promises consumers (test/relay/eventData.test.ts pins them
// to its examples). Kept apart from the HTTP API's rendering on purpose: the shapes are equal
// today, but a change to an API field must not change the event contract by accident.

/** An opened account's event data; rendered when the account is opened, since the row changes later. */
export function accountEventData(account: AccountRow) {
  return {
    id: account.id,
    kind: account.kind,
    currency: account.currency,
    balance: account.balance.toString(),
    available_balance: (account.balance + account.overdraft_limit - account.pending_debits).toString(),
    pending_debits: account.pending_debits.toString(),
    pending_credits: account.pending_credits.toString(),
    status: account.status,
    overdraft_limit: account.overdraft_limit.toString(),
    external_ref: account.external_ref,
    metadata: account.metadata,
    version: Number(account.version),
    created_at: account.created_at.toISOString(),
    updated_at: account.updated_at.toISOString(),
  };
}

/**
 * account.updated: what changed (`change`, and each changed field's before and after), who asked
 * (the request id, as the account's history records it) and the account as the change left it.
 */
export function accountUpdatedEventData(change: AccountChange, account: AccountRow, history: AccountHistoryRow) {
  return { change, changes: history.changes, request_id: history.request_id, account: accountEventData(account) };
}

/** A posting's event data: the ledger transaction with its entries, debit first, as it was posted. */
export function ledgerTransactionEventData(transaction: PostedTransactionRow, entries: EntryRow[]) {
  if (transaction.type === 'multi_leg') return multiLegEventData(transaction, entries);
  return {
    id: transaction.id,
    type: transaction.type,
    status: transaction.status,
    amount: transaction.amount.toString(),
    currency: transaction.currency,
    source_account_id: transaction.source_account_id,
    destination_account_id: transaction.destination_account_id,
    description: transaction.description,
    metadata: transaction.metadata,
    created_at: transaction.created_at.toISOString(),
    // As posted: nothing of a transaction is reversed when its event is written.
    reversed_amount: '0',
    hold_id: transaction.hold_id,
    reverses_transaction_id: transaction.reverses_transaction_id,
    entries: entries.map(entryEventData),
  };
}

/** multi_leg.posted: the transaction with its legs in order and their entries (a debit and a credit per leg). */
function multiLegEventData(transaction: MultiLegTransactionRow, entries: EntryRow[]) {
  return {
    id: transaction.id,
    type: transaction.type,
    status: transaction.status,
    description: transaction.description,
    metadata: transaction.metadata,
    created_at: transaction.created_at.toISOString(),
    legs: transaction.legs.map(legEventData),
    entries: entries.map(entryEventData),
  };
}

function legEventData(leg: LegRow) {
  return {
    source_account_id: leg.source_account_id,
    destination_account_id: leg.destination_account_id,
    amount: leg.amount.toString(),
    currency: leg.currency,
  };
}

/** A hold's event data: the hold as the change left it (rendered when planned; the row changes later). */
export function holdEventData(hold: HoldRow) {
  return {
    id: hold.id,
    status: hold.status,
    source_account_id: hold.source_account_id,
    destination_account_id: hold.destination_account_id,
    amount: hold.amount.toString(),
    captured_amount: hold.captured_amount.toString(),
    currency: hold.currency,
    expires_at: hold.expires_at.toISOString(),
    capture_transaction_id: hold.capture_transaction_id,
    description: hold.description,
    metadata: hold.metadata,
    created_at: hold.created_at.toISOString(),
    updated_at: hold.updated_at.toISOString(),
  };
}

/** hold.captured: the captured hold and the transaction that settled it. */
export function holdCapturedEventData(hold: HoldRow, transaction: PostedTransactionRow, entries: EntryRow[]) {
  return { hold: holdEventData(hold), transaction: ledgerTransactionEventData(transaction, entries) };
}

function entryEventData(entry: EntryRow) {
  return {
    id: entry.id,
    transaction_id: entry.transaction_id,
    account_id: entry.account_id,
    direction: entry.direction,
    amount: entry.amount.toString(),
    balance_after: entry.balance_after.toString(),
    sequence: Number(entry.sequence),
    created_at: entry.created_at.toISOString(),
  };
}
