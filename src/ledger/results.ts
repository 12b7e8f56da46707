import { problem, type ProblemCode } from '../errors.js';
import type { OperationResult } from './operations.js';
import type { TransactionResource } from './resources.js';

// Outcomes rendered once, as the exact status and body the caller receives (and a replay repeats).

export function created(resource: unknown): OperationResult {
  return { statusCode: 201, body: JSON.stringify(resource), replayed: false };
}

/**
 * A posting's outcome. Its body is the transaction as GET /v1/transactions/{id} renders it, so the
 * key stores only the id and a replay renders the body again from the ledger, byte for byte.
 */
export function posted(resource: TransactionResource): OperationResult {
  return { statusCode: 201, body: JSON.stringify(resource), replayed: false, transactionId: resource.id };
}

export function rejected(code: ProblemCode, detail: string, extensions?: Record<string, unknown>): OperationResult {
  const body = problem(code, detail, extensions);
  return { statusCode: body.status, body: JSON.stringify(body), replayed: false };
}

export function replayOf(result: OperationResult): OperationResult {
  return { ...result, replayed: true };
}
