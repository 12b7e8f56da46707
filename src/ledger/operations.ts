// What the write path is asked to do. Operations cross thread boundaries (structured clone), so
// they are plain data: bigint amounts, string ids, no class instances.

import type { AccountStatus } from './ledgerRows.js';

export interface IdempotencyClaim {
  key: string;
  /** Hash of method, path and canonical body: the same key must come with the same request. */
  fingerprint: string;
}

/** Keys in the order jsonb stores them (inStoredKeyOrder), so that every answer renders them alike. */
export type Metadata = Record<string, unknown>;

export interface OpenAccount {
  kind: 'open_account';
  accountId: string;
  currency: string;
  externalRef: string | null;
  metadata: Metadata;
  idempotency: IdempotencyClaim | undefined;
}

interface Posting {
  amount: bigint;
  /** When given, it must equal the accounts' currency. */
  currency: string | undefined;
  description: string | null;
  metadata: Metadata;
  idempotency: IdempotencyClaim;
}

export interface Deposit extends Posting {
  kind: 'deposit';
  accountId: string;
}

export interface Withdrawal extends Posting {
  kind: 'withdrawal';
  accountId: string;
}

export interface Transfer extends Posting {
  kind: 'transfer';
  sourceAccountId: string;
  destinationAccountId: string;
}

export interface CreateHold {
  kind: 'create_hold';
  holdId: string;
  sourceAccountId: string;
  /** Null: a hold for a withdrawal, whose destination is the currency's settlement account. */
  destinationAccountId: string | null;
  amount: bigint;
  currency: string | undefined;
  expiresAt: Date;
  description: string | null;
  metadata: Metadata;
  idempotency: IdempotencyClaim;
}

/**
 * An operation on an existing hold. Its accounts are the hold's, which never change: the route
 * reads them before submitting, so that the operation reaches the writer of the hold's source
 * account and locks both. The hold itself is read under those locks.
 */
interface OnHold {
  holdId: string;
  sourceAccountId: string;
  destinationAccountId: string;
}

export interface CaptureHold extends OnHold {
  kind: 'capture_hold';
  /** Undefined: the whole hold. */
  amount: bigint | undefined;
  idempotency: IdempotencyClaim;
}

export interface VoidHold extends OnHold {
  kind: 'void_hold';
  idempotency: IdempotencyClaim;
}

/** The expiry sweep's (which sends no key): a hold no longer pending is left as it is. */
export interface ExpireHold extends OnHold {
  kind: 'expire_hold';
  idempotency: IdempotencyClaim | undefined;
}

export interface ReverseTransaction {
  kind: 'reverse_transaction';
  transactionId: string;
  /** The original's accounts (they never change): its destination is debited, its source credited. */
  originalSourceAccountId: string;
  originalDestinationAccountId: string;
  /** Undefined: what is not yet reversed. */
  amount: bigint | undefined;
  description: string | null;
  metadata: Metadata;
  idempotency: IdempotencyClaim;
}

/** One leg of a multi-leg transaction. Its accounts are wallets or settlement accounts, by id. */
export interface Leg {
  sourceAccountId: string;
  destinationAccountId: string;
  amount: bigint;
  /** When given, it must equal the leg's accounts' currency. */
  currency: string | undefined;
}

/** Several legs posted as one ledger transaction, all or none (planMultiLeg.ts). */
export interface PostMultiLeg {
  kind: 'multi_leg';
  legs: Leg[];
  description: string | null;
  metadata: Metadata;
  idempotency: IdempotencyClaim;
}

/**
 * A PATCH of an account's settings: only the fields given change. `ifMatch` is what If-Match
 * named: the ETags (accountETag.ts) one of which the account must still have, or '*' for any.
 */
export interface UpdateAccount {
  kind: 'update_account';
  accountId: string;
  ifMatch: string[] | '*';
  status: AccountStatus | undefined;
  overdraftLimit: bigint | undefined;
  metadata: Metadata | undefined;
  /** Who asked, as the account's history records it. */
  requestId: string;
  idempotency: IdempotencyClaim | undefined;
}

export type HoldOperation = CreateHold | CaptureHold | VoidHold | ExpireHold;

/** The W3C traceparent of the request that asked for an operation, carried to its events. */
export interface TraceContext {
  traceparent?: string;
}

export type LedgerOperation = (
  | OpenAccount
  | UpdateAccount
  | Deposit
  | Withdrawal
  | Transfer
  | HoldOperation
  | ReverseTransaction
  | PostMultiLeg
) &
  TraceContext;
export type PostingOperation = Deposit | Withdrawal | Transfer;

/**
 * The account whose writer serializes this operation: a transfer's or a hold's source, a
 * reversal's debited account (the original's destination), a multi-leg transaction's first
 * source. The other accounts may be any partition's: every writer locks in one global order.
 */
export function routingAccountId(operation: LedgerOperation): string {
  switch (operation.kind) {
    case 'open_account':
    case 'update_account':
    case 'deposit':
    case 'withdrawal':
      return operation.accountId;
    case 'reverse_transaction':
      return operation.originalDestinationAccountId;
    case 'multi_leg':
      return operation.legs[0]!.sourceAccountId;
    default:
      return operation.sourceAccountId;
  }
}

/**
 * Every account an operation names: a hold's or a reversed transaction's accounts include a
 * settlement account when they have one; the settlement account a deposit, a withdrawal or a hold
 * for a withdrawal posts against is added by the writer (applyBatch).
 */
export function namedAccountIds(operation: LedgerOperation): string[] {
  switch (operation.kind) {
    case 'open_account':
      return [];
    case 'update_account':
    case 'deposit':
    case 'withdrawal':
      return [operation.accountId];
    case 'create_hold':
      return operation.destinationAccountId === null ? [operation.sourceAccountId] : [operation.sourceAccountId, operation.destinationAccountId];
    case 'reverse_transaction':
      return [operation.originalSourceAccountId, operation.originalDestinationAccountId];
    case 'multi_leg':
      return operation.legs.flatMap((leg) => [leg.sourceAccountId, leg.destinationAccountId]);
    default:
      return [operation.sourceAccountId, operation.destinationAccountId];
  }
}

/**
 * Operations that may be planned against remembered rows: all but opening an account (its external
 * ref is checked when locked), reversing (the reversed sum is read when locked) and updating an
 * account (its metadata and ETag are read when locked, and remembered states hold neither).
 */
export function isPlannedOnRememberedRows(operation: LedgerOperation): boolean {
  return operation.kind !== 'open_account' && operation.kind !== 'reverse_transaction' && operation.kind !== 'update_account';
}

/** The holds a batch's operations act on (read and locked with its accounts). */
export function holdIdsOf(operations: readonly LedgerOperation[]): string[] {
  return operations.flatMap((operation) =>
    operation.kind === 'capture_hold' || operation.kind === 'void_hold' || operation.kind === 'expire_hold' ? [operation.holdId] : []);
}

/** The transactions a batch's reversals reverse. */
export function reversedIdsOf(operations: readonly LedgerOperation[]): string[] {
  return operations.flatMap((operation) => (operation.kind === 'reverse_transaction' ? [operation.transactionId] : []));
}
