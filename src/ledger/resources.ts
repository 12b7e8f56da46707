// The JSON shapes the API returns. Built from rows (reads) and from planned writes (the write
// path), so that a 201 body and a later GET of the same thing are identical.

import type { Metadata } from './operations.js';

export interface AccountRow {
  id: string;
  kind: 'user' | 'settlement';
  currency: string;
  balance: bigint;
  status: string;
  external_ref: string | null;
  metadata: Metadata;
  version: bigint;
  created_at: Date;
  updated_at: Date;
}

export interface EntryRow {
  id: string;
  transaction_id: string;
  account_id: string;
  direction: 'debit' | 'credit';
  amount: bigint;
  balance_after: bigint;
  sequence: bigint;
  created_at: Date;
}

export interface TransactionRow {
  id: string;
  type: 'deposit' | 'withdrawal' | 'transfer';
  status: string;
  amount: bigint;
  currency: string;
  source_account_id: string;
  destination_account_id: string;
  description: string | null;
  metadata: Metadata;
  created_at: Date;
}

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
export function transactionResource(row: TransactionRow, entries: EntryRow[]) {
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

export type AccountResource = ReturnType<typeof accountResource>;
export type TransactionResource = ReturnType<typeof transactionResource>;
