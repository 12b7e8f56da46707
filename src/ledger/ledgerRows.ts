// The ledger's rows as the write path plans them and the reads return them: money as bigint,
// times as Date. Each channel (HTTP, events) renders them in its own shape.

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

/** A row of ledger_transactions: money moved between two accounts (not a database transaction). */
export interface LedgerTransactionRow {
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

/** A ledger transaction with its two entries, debit first. */
export interface PostedLedgerTransaction {
  transaction: LedgerTransactionRow;
  entries: EntryRow[];
}
