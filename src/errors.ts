// The one catalogue of API errors: every error has a code, a title and an HTTP status.
// Bodies are RFC 9457 problem details (application/problem+json).

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

const catalogue = {
  unauthorized: { status: 401, title: 'Missing or invalid X-Service-Api-Key' },
  validation_error: { status: 400, title: 'The request is not valid' },
  malformed_request: { status: 400, title: 'The request is not valid HTTP/1.1' },
  request_timeout: { status: 408, title: 'The request did not arrive in time' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
  idempotency_key_missing: { status: 400, title: 'The Idempotency-Key header is required' },
  idempotency_key_reused: { status: 422, title: 'The Idempotency-Key was already used for a different request' },
  idempotency_key_in_progress: { status: 409, title: 'A request with this Idempotency-Key is still executing' },
  account_not_found: { status: 404, title: 'Account not found' },
  transaction_not_found: { status: 404, title: 'Transaction not found' },
  insufficient_funds: { status: 422, title: 'Insufficient funds' },
  currency_mismatch: { status: 422, title: 'Currency mismatch' },
  same_account: { status: 422, title: 'Source and destination are the same account' },
  external_ref_taken: { status: 409, title: 'An account with this external_ref already exists' },
  balance_overflow: { status: 422, title: 'The resulting balance is out of range' },
  hold_not_found: { status: 404, title: 'Hold not found' },
  dead_letter_not_found: { status: 404, title: 'Dead letter not found' },
  hold_not_pending: { status: 409, title: 'The hold is no longer pending' },
  capture_exceeds_hold: { status: 422, title: 'The capture exceeds the hold' },
  reversal_exceeds_original: { status: 422, title: 'The reversal exceeds what is left to reverse' },
  not_reversible: { status: 422, title: 'The transaction cannot be reversed' },
  account_frozen: { status: 422, title: 'The account is frozen: no money leaves it' },
  account_closed: { status: 422, title: 'The account is closed' },
  account_not_empty: { status: 422, title: 'Only an account with a zero balance and no pending holds can be closed' },
  overdraft_limit_too_low: { status: 422, title: 'The account already uses more than this overdraft limit allows' },
  settlement_account_fixed: { status: 422, title: "A settlement account's settings do not change" },
  precondition_failed: { status: 412, title: "If-Match does not name the account's current ETag" },
  precondition_required: { status: 428, title: 'The If-Match header is required' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  service_unavailable: { status: 503, title: 'The service is temporarily unavailable' },
  overloaded: { status: 503, title: 'The service is overloaded' },
  internal_error: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof catalogue;

export interface FieldError {
  /** Where the field is: body, query, path or header; request_line for a method or version the HTTP parser refuses. */
  in: string;
  /** The field's name; nested fields are dotted (metadata.note). */
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export function problem(code: ProblemCode, detail: string, extensions: Record<string, unknown> = {}): Problem {
  const { status, title } = catalogue[code];
  return { type: `urn:problem-type:wallet-ledger:${code}`, title, status, detail, code, ...extensions };
}

/** Thrown inside request handling; the error handler renders its problem. */
export class ProblemError extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;

  constructor(problemBody: Problem, headers: Record<string, string> = {}) {
    super(problemBody.detail);
    this.problem = problemBody;
    this.headers = headers;
  }

  static of(code: ProblemCode, detail: string, extensions?: Record<string, unknown>): ProblemError {
    return new ProblemError(problem(code, detail, extensions));
  }
}
