// What the write path is asked to do. Operations cross thread boundaries (structured clone), so
// they are plain data: bigint amounts, string ids, no class instances.

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

export type LedgerOperation = OpenAccount | Deposit | Withdrawal | Transfer;
export type PostingOperation = Deposit | Withdrawal | Transfer;

/** The account whose writer serializes this operation (the source account of a transfer). */
export function routingAccountId(operation: LedgerOperation): string {
  return operation.kind === 'transfer' ? operation.sourceAccountId : operation.accountId;
}

/** Every account an operation names, settlement accounts not included. */
export function namedAccountIds(operation: LedgerOperation): string[] {
  switch (operation.kind) {
    case 'open_account':
      return [];
    case 'transfer':
      return [operation.sourceAccountId, operation.destinationAccountId];
    default:
      return [operation.accountId];
  }
}

export function isPosting(operation: LedgerOperation): operation is PostingOperation {
  return operation.kind !== 'open_account';
}
