import type { AccountRow, EntryRow, LedgerTransactionRow } from '../ledger/ledgerRows.js';

// The JSON shapes the API returns, built from the ledger's rows: a 201 body, its replay and a later
// GET of the same thing are identical (the write path's rows and the reads' rows render alike).

export function accountResource(row: AccountRow) {
  return {
    id: row.id,
    kind: row.kind,
    currency: row.currency,
    balance: row.balance.toString(),
    // No holds exist yet, so everything on the account is available.
    available_balance: row.balance.toString(),
    status: row.status,
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

/** `entries` come debit first, then credit. */
export function transactionResource(row: LedgerTransactionRow, entries: EntryRow[]) {
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
