// The ledger's rows as the write path plans them and the reads return them: money as bigint,
// times as Date. Each channel (HTTP, events) renders them in its own shape.

import type { Metadata } from './operations.js';

/** active; frozen: no debits; closed: nothing more, ever (reached only at zero). */
export type AccountStatus = 'active' | 'frozen' | 'closed';

export interface AccountRow {
  id: string;
  kind: 'user' | 'settlement';
  currency: string;
  balance: bigint;
  /** The sums of the account's pending holds, as their source and as their destination. */
  pending_debits: bigint;
  pending_credits: bigint;
  status: AccountStatus;
  /** How far below zero a wallet may go (0: not at all). */
  overdraft_limit: bigint;
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
  type: 'deposit' | 'withdrawal' | 'transfer' | 'reversal';
  status: string;
  amount: bigint;
  currency: string;
  source_account_id: string;
  destination_account_id: string;
  description: string | null;
  metadata: Metadata;
  /** The hold a capture settles; null for every other transaction. */
  hold_id: string | null;
  /** The transaction a reversal moves back; null for every other transaction. */
  reverses_transaction_id: string | null;
  created_at: Date;
}

/** One leg of a multi-leg transaction: money moved between two accounts of one currency. */
export interface LegRow {
  source_account_id: string;
  destination_account_id: string;
  amount: bigint;
  currency: string;
}

/**
 * A row of ledger_transactions that moves money in several legs, of one or several currencies. Its
 * amount, currency and accounts are null: they are each leg's. `legs` is no column: the legs are
 * its entries, a debit and a credit each in leg order (see planMultiLeg.ts), rebuilt when read.
 */
export interface MultiLegTransactionRow {
  id: string;
  type: 'multi_leg';
  status: string;
  amount: null;
  currency: null;
  source_account_id: null;
  destination_account_id: null;
  description: string | null;
  metadata: Metadata;
  hold_id: null;
  reverses_transaction_id: null;
  created_at: Date;
  legs: LegRow[];
}

/** Any posted ledger transaction: between two accounts, or in legs. */
export type PostedTransactionRow = LedgerTransactionRow | MultiLegTransactionRow;

/** A ledger transaction with its entries: a debit and a credit per leg, debit first. */
export interface PostedLedgerTransaction {
  transaction: PostedTransactionRow;
  entries: EntryRow[];
  /** The sum of its reversals when it was read (it grows; the row never changes). */
  reversedAmount: bigint;
}

export type HoldStatus = 'pending' | 'captured' | 'voided' | 'expired';

/** Money reserved on its source account for its destination, until captured, voided or expired. */
export interface HoldRow {
  id: string;
  source_account_id: string;
  destination_account_id: string;
  amount: bigint;
  captured_amount: bigint;
  currency: string;
  status: HoldStatus;
  expires_at: Date;
  capture_transaction_id: string | null;
  description: string | null;
  metadata: Metadata;
  created_at: Date;
  updated_at: Date;
}

/** One appended state of a hold: what it reserved, captured or released. */
export interface HoldChangeRow {
  hold_id: string;
  status: HoldStatus;
  amount: bigint;
  transaction_id: string | null;
}

/** The settings a batch gives an account (written with its balance update): absent fields stay. */
export interface AccountSettingsRow {
  id: string;
  status?: AccountStatus;
  overdraft_limit?: bigint;
  metadata?: Metadata;
}

/** One appended change of an account's settings: who asked, what changed, and the version it made. */
export interface AccountHistoryRow {
  account_id: string;
  version: bigint;
  request_id: string;
  /** Each changed field with its value before and after. */
  changes: Record<string, { from: unknown; to: unknown }>;
}
