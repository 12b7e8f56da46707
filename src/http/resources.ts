import type {
  AccountHistoryRow,
  AccountRow,
  EntryRow,
  HoldRow,
  LedgerTransactionRow,
  LegRow,
  MultiLegTransactionRow,
  PostedTransactionRow,
} from '../ledger/ledgerRows.js';

// The JSON shapes the API returns, built from the ledger's rows: a 201 body, its replay and a later
// GET of the same thing are identical (the write path's rows and the reads' rows render alike).

export function accountResource(row: AccountRow) {
  return {
    id: row.id,
    kind: row.kind,
    currency: row.currency,
    balance: row.balance.toString(),
    // What pending holds reserve on the account as their source is not available to spend; what
    // its overdraft limit allows below zero is.
    available_balance: (row.balance + row.overdraft_limit - row.pending_debits).toString(),
    pending_debits: row.pending_debits.toString(),
    pending_credits: row.pending_credits.toString(),
    status: row.status,
    overdraft_limit: row.overdraft_limit.toString(),
    external_ref: row.external_ref,
    metadata: row.metadata,
    version: Number(row.version),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function entryResource(row: EntryRow) {
  return {
    id: row.id,
    transaction_id: row.transaction_id,
    account_id: row.account_id,
    direction: row.direction,
    amount: row.amount.toString(),
    balance_after: row.balance_after.toString(),
    sequence: Number(row.sequence),
    created_at: row.created_at.toISOString(),
  };
}

/**
 * `entries` come debit first, then credit. `reversedAmount`: the sum of its reversals as this
 * answer reports it (0 in a posting's own answer and its replays, which repeat the first answer).
 * A multi-leg transaction has its own shape (multiLegTransactionResource).
 */
export function transactionResource(row: PostedTransactionRow, entries: EntryRow[], reversedAmount: bigint) {
  if (row.type === 'multi_leg') return multiLegTransactionResource(row, entries);
  const { entries: rendered, ...fields } = transactionResourceBeforeHolds(row, entries);
  return {
    ...fields,
    reversed_amount: reversedAmount.toString(),
    hold_id: row.hold_id,
    reverses_transaction_id: row.reverses_transaction_id,
    entries: rendered,
  };
}

/** A transaction as answered before holds and reversals: replays of keys stored then repeat it. */
export function transactionResourceBeforeHolds(row: LedgerTransactionRow, entries: EntryRow[]) {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    amount: row.amount.toString(),
    currency: row.currency,
    source_account_id: row.source_account_id,
    destination_account_id: row.destination_account_id,
    description: row.description,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    entries: entries.map(entryResource),
  };
}

/**
 * A multi-leg transaction: its legs in order, and their entries, a debit and a credit per leg in
 * leg order. It has no amount, currency or accounts of its own, and is never reversed.
 */
export function multiLegTransactionResource(row: MultiLegTransactionRow, entries: EntryRow[]) {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    description: row.description,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    legs: row.legs.map(legResource),
    entries: entries.map(entryResource),
  };
}

function legResource(leg: LegRow) {
  return {
    source_account_id: leg.source_account_id,
    destination_account_id: leg.destination_account_id,
    amount: leg.amount.toString(),
    currency: leg.currency,
  };
}

export function holdResource(row: HoldRow) {
  return {
    id: row.id,
    status: row.status,
    source_account_id: row.source_account_id,
    destination_account_id: row.destination_account_id,
    amount: row.amount.toString(),
    captured_amount: row.captured_amount.toString(),
    currency: row.currency,
    expires_at: row.expires_at.toISOString(),
    capture_transaction_id: row.capture_transaction_id,
    description: row.description,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** One change of an account's settings, as its history lists it. */
export function accountHistoryResource(row: AccountHistoryRow & { created_at: Date }) {
  return {
    account_id: row.account_id,
    version: Number(row.version),
    request_id: row.request_id,
    changes: row.changes,
    created_at: row.created_at.toISOString(),
  };
}
