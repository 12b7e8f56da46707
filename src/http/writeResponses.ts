import { problem, type Problem, type ProblemCode } from '../errors.js';
import type { AccountRole, DecidedOutcome, Failure, LedgerOutcome, Rejection } from '../ledger/outcomes.js';
import type { StoredResponses } from '../ledger/planBatch.js';
import { accountResource, transactionResource } from './resources.js';

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
}

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
  return outcome.kind === 'rejected' ? rejectionProblem(outcome.rejection).status : CREATED;
}

function bodyOf(outcome: DecidedOutcome): string {
  switch (outcome.kind) {
    case 'account_opened':
      return JSON.stringify(accountResource(outcome.account));
    case 'posted':
      return JSON.stringify(transactionResource(outcome.transaction, outcome.entries));
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
