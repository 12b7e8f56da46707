import { problem, type Problem, type ProblemCode } from '../errors.js';
import type { AccountRole, DecidedOutcome, Failure, LedgerOutcome, Rejection } from '../ledger/outcomes.js';
import type { StoredResponses } from '../ledger/planBatch.js';
import { accountResource, holdResource, transactionResource, transactionResourceBeforeHolds } from './resources.js';

// The HTTP answer to each ledger outcome: status and exact body. The ledger stores the answers it
// decides under their idempotency keys (storedResponses), so what is rendered here is also what
// every replay of a key repeats: change a byte and new keys replay differently from old ones.
// Runs where the outcome is decided (a partition's worker thread), so that the main thread only
// sends the string.

/** What the caller receives: sent as is. */
export interface WriteResponse {
  statusCode: number;
  body: string;
  /** True when the answer is a stored one, returned for a repeated Idempotency-Key. */
  replayed: boolean;
  /** The WAL position at or after the write's commit (src/http/positionedAnswers.ts), sent as X-Ledger-Position. */
  position?: string;
}

const OK = 200;
const CREATED = 201;

export function respondTo(outcome: LedgerOutcome): WriteResponse {
  switch (outcome.kind) {
    case 'stored_response':
      return { statusCode: outcome.statusCode, body: outcome.body, replayed: true };
    case 'failed':
      return problemResponse(failureProblem(outcome.failure));
    default:
      return { statusCode: statusOf(outcome), body: bodyOf(outcome), replayed: outcome.replayed };
  }
}

export function problemResponse(body: Problem): WriteResponse {
  return { statusCode: body.status, body: JSON.stringify(body), replayed: false };
}

/** What the ledger stores under a key for each decided outcome: the answer rendered here. */
export const storedResponses: StoredResponses = { statusOf, bodyOf };

function statusOf(outcome: DecidedOutcome): number {
  if (outcome.kind === 'rejected') return rejectionProblem(outcome.rejection).status;
  if (outcome.kind === 'account_updated') return OK;
  return outcome.kind === 'hold_changed' && outcome.change !== 'created' ? OK : CREATED;
}

function bodyOf(outcome: DecidedOutcome): string {
  switch (outcome.kind) {
    case 'account_opened':
    case 'account_updated':
      return JSON.stringify(accountResource(outcome.account));
    case 'posted':
      // A posting's answer is rendered when it is posted, and again for each replay of its key:
      // nothing of it is reversed yet when first answered, so every rendering reports 0.
      return JSON.stringify(outcome.shapedBeforeHolds && outcome.transaction.type !== 'multi_leg'
        ? transactionResourceBeforeHolds(outcome.transaction, outcome.entries)
        : transactionResource(outcome.transaction, outcome.entries, 0n));
    case 'hold_changed':
      return JSON.stringify(holdResource(outcome.hold));
    case 'rejected':
      return JSON.stringify(rejectionProblem(outcome.rejection));
  }
}

const FIELD_OF_ROLE: Record<AccountRole, string> = {
  account: 'account_id',
  source: 'source_account_id',
  destination: 'destination_account_id',
};

function rejectionProblem(rejection: Rejection): Problem {
  switch (rejection.code) {
    case 'idempotency_key_reused':
      return problem('idempotency_key_reused', 'This Idempotency-Key was already used for a different request');
    case 'external_ref_taken':
      return problem('external_ref_taken', `An account with external_ref "${rejection.externalRef}" already exists`, {
        external_ref: rejection.externalRef,
      });
    case 'account_not_found': {
      const field = FIELD_OF_ROLE[rejection.role];
      const why = rejection.isSettlement ? 'is a settlement account, which only deposits and withdrawals post to' : 'does not exist';
      return problem('account_not_found', `Account ${rejection.accountId} (${field}) ${why}`, { account_id: rejection.accountId, field });
    }
    case 'same_account':
      return problem('same_account', 'source_account_id and destination_account_id must differ');
    case 'currencies_differ':
      return problem(
        'currency_mismatch',
        `Source account is in ${rejection.sourceCurrency}, destination account in ${rejection.destinationCurrency}`,
      );
    case 'currency_mismatch':
      return problem('currency_mismatch', `The request is in ${rejection.requestCurrency}, account ${rejection.accountId} is in ${rejection.accountCurrency}`, {
        account_id: rejection.accountId,
        account_currency: rejection.accountCurrency,
      });
    case 'insufficient_funds':
      return problem(
        'insufficient_funds',
        `Account ${rejection.accountId} has ${rejection.availableBalance} ${rejection.currency} available, ${rejection.amount} needed`,
        { account_id: rejection.accountId, available_balance: rejection.availableBalance.toString(), amount: rejection.amount.toString() },
      );
    case 'balance_overflow':
      return problem('balance_overflow', `The balance of account ${rejection.accountId} would leave the range ±(10^38 - 1)`, {
        account_id: rejection.accountId,
      });
    case 'leg_refused':
      return legProblem(rejection.leg, rejectionProblem(rejection.rejection));
    default:
      return holdOrReversalProblem(rejection);
  }
}

/** A refused leg's problem, naming the leg as the body does (`legs[3]`) in its detail, field and `leg`. */
function legProblem(leg: number, refused: Problem): Problem {
  const path = `legs[${leg}]`;
  const field = typeof refused.field === 'string' ? { field: `${path}.${refused.field}` } : {};
  return { ...refused, detail: `${path}: ${refused.detail}`, ...field, leg };
}

function accountControlProblem(rejection: Rejection): Problem {
  switch (rejection.code) {
    case 'account_frozen':
    case 'account_closed': {
      const field = FIELD_OF_ROLE[rejection.role];
      const why = rejection.code === 'account_frozen' ? 'is frozen: no money leaves it' : 'is closed';
      return problem(rejection.code, `Account ${rejection.accountId} (${field}) ${why}`, { account_id: rejection.accountId, field });
    }
    case 'account_not_empty':
      return problem('account_not_empty', `Account ${rejection.accountId} has balance ${rejection.balance}, pending debits ${rejection.pendingDebits} and pending credits ${rejection.pendingCredits}: all must be 0 to close it`, {
        account_id: rejection.accountId,
        balance: rejection.balance.toString(),
        pending_debits: rejection.pendingDebits.toString(),
        pending_credits: rejection.pendingCredits.toString(),
      });
    case 'overdraft_limit_too_low':
      return problem('overdraft_limit_too_low', `With overdraft_limit ${rejection.overdraftLimit}, account ${rejection.accountId} would have ${rejection.availableBalance} available`, {
        account_id: rejection.accountId,
        field: 'overdraft_limit',
        available_balance: rejection.availableBalance.toString(),
      });
    case 'settlement_account_fixed':
      return problem('settlement_account_fixed', `Account ${rejection.accountId} is a settlement account, whose settings do not change`, { account_id: rejection.accountId });
    case 'precondition_failed':
      return problem('precondition_failed', `If-Match does not name the current ETag of account ${rejection.accountId}: read it again`, { account_id: rejection.accountId });
    default:
      throw new Error(`invariant: rejection ${rejection.code} has no problem`);
  }
}

function holdOrReversalProblem(rejection: Rejection): Problem {
  switch (rejection.code) {
    case 'hold_not_found':
      return problem('hold_not_found', `Hold ${rejection.holdId} does not exist`, { hold_id: rejection.holdId });
    case 'hold_not_pending':
      return problem('hold_not_pending', `Hold ${rejection.holdId} is ${rejection.status}`, { hold_id: rejection.holdId, hold_status: rejection.status });
    case 'capture_exceeds_hold':
      return problem('capture_exceeds_hold', `Hold ${rejection.holdId} holds ${rejection.holdAmount}, ${rejection.amount} asked`, {
        hold_id: rejection.holdId,
        hold_amount: rejection.holdAmount.toString(),
        amount: rejection.amount.toString(),
      });
    case 'transaction_not_found':
      return problem('transaction_not_found', `Transaction ${rejection.transactionId} does not exist`, { transaction_id: rejection.transactionId });
    case 'not_reversible':
      return problem('not_reversible', `Transaction ${rejection.transactionId} is a reversal, which is not reversed in turn`, {
        transaction_id: rejection.transactionId,
      });
    case 'reversal_exceeds_original': {
      const left = rejection.originalAmount - rejection.reversedAmount;
      return problem('reversal_exceeds_original', `Transaction ${rejection.transactionId} has ${left} left to reverse, ${rejection.amount} asked`, {
        transaction_id: rejection.transactionId,
        amount: rejection.amount.toString(),
        original_amount: rejection.originalAmount.toString(),
        reversed_amount: rejection.reversedAmount.toString(),
      });
    }
    default:
      return accountControlProblem(rejection);
  }
}

const FAILURE_PROBLEMS: Record<Failure, [ProblemCode, string]> = {
  outcome_unknown: ['service_unavailable', 'The database is unreachable and its outcome is unknown: retry with the same Idempotency-Key'],
  not_applied: ['service_unavailable', 'The database is unreachable and it was not applied: retry with the same Idempotency-Key'],
  unexpected_error: ['internal_error', 'The operation failed and was not applied'],
  overloaded: ['overloaded', 'Too many operations are queued; retry shortly with the same Idempotency-Key'],
  shutting_down: ['service_unavailable', 'The service is shutting down; retry with the same Idempotency-Key'],
};

function failureProblem(failure: Failure): Problem {
  const [code, detail] = FAILURE_PROBLEMS[failure];
  return problem(code, detail);
}
