import type { AccountRow, EntryRow, HoldRow, HoldStatus, PostedTransactionRow } from './ledgerRows.js';

// What the ledger answers for each operation, as data: what happened and the facts that explain
// it. No status codes and no JSON here: each channel renders outcomes its own way (the HTTP
// answer in src/http/writeResponses.ts, the events in src/relay/eventData.ts).

/** Which of an operation's accounts a rejection is about. */
export type AccountRole = 'account' | 'source' | 'destination';

/** Why an operation was refused. Nothing was applied for it, and its batch-mates are unaffected. */
export type Rejection =
  | { code: 'idempotency_key_reused' }
  | { code: 'external_ref_taken'; externalRef: string }
  /** isSettlement: the id exists, but names a settlement account, which only deposits and withdrawals post to. */
  | { code: 'account_not_found'; accountId: string; role: AccountRole; isSettlement: boolean }
  | { code: 'same_account' }
  /** The two accounts of a transfer hold different currencies. */
  | { code: 'currencies_differ'; sourceCurrency: string; destinationCurrency: string }
  /** The request named a currency that is not the account's. */
  | { code: 'currency_mismatch'; accountId: string; accountCurrency: string; requestCurrency: string }
  | { code: 'insufficient_funds'; accountId: string; currency: string; availableBalance: bigint; amount: bigint }
  | { code: 'balance_overflow'; accountId: string }
  | { code: 'hold_not_found'; holdId: string }
  /** The hold is captured, voided or expired (or past its expiry, whether or not the sweep ran). */
  | { code: 'hold_not_pending'; holdId: string; status: Exclude<HoldStatus, 'pending'> }
  | { code: 'capture_exceeds_hold'; holdId: string; holdAmount: bigint; amount: bigint }
  | { code: 'transaction_not_found'; transactionId: string }
  /** A reversal is not reversed in turn. */
  | { code: 'not_reversible'; transactionId: string }
  | { code: 'reversal_exceeds_original'; transactionId: string; originalAmount: bigint; reversedAmount: bigint; amount: bigint }
  /** A multi-leg transaction's leg (0-based) was refused for this reason, so nothing of it was applied. */
  | { code: 'leg_refused'; leg: number; rejection: Rejection }
  | AccountControlRejection;

/** Refusals of the account controls (status, overdraft limit) and of PATCHes of an account. */
export type AccountControlRejection =
  /** A debit of a frozen wallet (a withdrawal, a transfer or hold from it, a reversal debiting it). */
  | { code: 'account_frozen'; accountId: string; role: AccountRole }
  /** Any posting or hold naming a closed wallet, or a change of a closed wallet's status or limit. */
  | { code: 'account_closed'; accountId: string; role: AccountRole }
  /** Closing a wallet that holds money, owes it, or has pending holds. */
  | { code: 'account_not_empty'; accountId: string; balance: bigint; pendingDebits: bigint; pendingCredits: bigint }
  /** An overdraft limit the wallet's balance (less what its holds reserve) is already below. */
  | { code: 'overdraft_limit_too_low'; accountId: string; overdraftLimit: bigint; availableBalance: bigint }
  /** Settlement accounts are the ledger's own: their settings never change. */
  | { code: 'settlement_account_fixed'; accountId: string }
  /** If-Match names none of the account's current ETag. */
  | { code: 'precondition_failed'; accountId: string };

/** Why no outcome could be decided. Never stored under a key: a retry with the key runs again. */
export type Failure =
  /** The connection broke during the commit and the database could not say whether it happened. */
  | 'outcome_unknown'
  /** The database is unreachable; nothing was applied. */
  | 'not_applied'
  /** An error nobody expected; the batch was split until it failed for this operation alone. */
  | 'unexpected_error'
  | 'overloaded'
  | 'shutting_down';

export interface AccountOpened {
  kind: 'account_opened';
  account: AccountRow;
  /** True when this is the stored outcome of a repeated Idempotency-Key. */
  replayed: boolean;
}

export interface Posted<Transaction extends PostedTransactionRow = PostedTransactionRow> {
  kind: 'posted';
  transaction: Transaction;
  /** Debit first, then credit (a multi-leg transaction's: so for each leg, in leg order). */
  entries: EntryRow[];
  replayed: boolean;
  /**
   * True when replaying a key stored before transactions carried hold_id, reverses_transaction_id
   * and reversed_amount: the answer is rendered as it was first given, without them. Every other
   * answer of a posting reports reversed_amount 0, which it had when first answered.
   */
  shapedBeforeHolds?: boolean;
}

/** A hold created, voided or expired, with its row as the change left it. */
export interface HoldChanged {
  kind: 'hold_changed';
  change: 'created' | 'voided' | 'expired';
  hold: HoldRow;
  replayed: boolean;
}

/** An account whose settings a PATCH changed (or left as they were), as the change left it. */
export interface AccountUpdated {
  kind: 'account_updated';
  account: AccountRow;
  replayed: boolean;
}

export interface Rejected {
  kind: 'rejected';
  rejection: Rejection;
  replayed: boolean;
}

/**
 * A response stored under a key by an earlier request, replayed exactly as stored. The ledger does
 * not read it: it is what the channel rendered then (see StoredResponses in planBatch.ts).
 */
export interface StoredResponse {
  kind: 'stored_response';
  statusCode: number;
  body: string;
}

export interface Failed {
  kind: 'failed';
  failure: Failure;
}

/** An outcome the ledger decided, and stores under the operation's key. */
export type DecidedOutcome = AccountOpened | AccountUpdated | Posted | HoldChanged | Rejected;
export type LedgerOutcome = DecidedOutcome | StoredResponse | Failed;

export function rejected(rejection: Rejection): Rejected {
  return { kind: 'rejected', rejection, replayed: false };
}

export function failed(failure: Failure): Failed {
  return { kind: 'failed', failure };
}

export function replayOf(outcome: DecidedOutcome): DecidedOutcome {
  return { ...outcome, replayed: true };
}
