import { hash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { problem, ProblemError } from '../errors.js';
import { TimeoutError, withTimeout } from '../timeouts.js';
import type { IdempotencyClaim } from '../ledger/operations.js';
import { problemResponse, type WriteResponse } from './writeResponses.js';

// Idempotency-Key handling at the edge: the header's rules, the request fingerprint, and the
// requests of this process still executing (a repeat waits for the first and replays it). The
// database stores outcomes and settles races between processes.

const KEY_PATTERN = /^[\x20-\x7E]{1,255}$/;
/** How long a repeat waits for the first request before answering 409 idempotency_key_in_progress. */
export const IN_FLIGHT_WAIT_MAX_MS = 5_000;

/**
 * The request's Idempotency-Key with the request's fingerprint. `canonicalBody` is the body with
 * equivalent spellings made equal (an amount sent as 1050 or "1050").
 */
export function readIdempotencyClaim(
  request: FastifyRequest,
  required: boolean,
  canonicalBody: unknown = request.body,
): IdempotencyClaim | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) {
    if (required) throw ProblemError.of('idempotency_key_missing', 'Send an Idempotency-Key header with every write');
    return undefined;
  }
  if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
    throw ProblemError.of('validation_error', 'Idempotency-Key must be 1 to 255 printable ASCII characters', {
      errors: [{ in: 'header', field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }],
    });
  }
  return { key: header, fingerprint: fingerprint(request, canonicalBody) };
}

/**
 * Method, route and body with its keys sorted: equal requests hash equal, however they were spelt.
 * The route is the one matched, with its decoded parameters, not the URL as sent: /deposi%74 and
 * /deposit are one path. A route without parameters hashes as its URL did before.
 */
function fingerprint(request: FastifyRequest, body: unknown): string {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const route = Object.keys(params).length === 0 ? request.routeOptions.url : `${request.routeOptions.url} ${canonicalJson(params)}`;
  return hash('sha256', `${request.method} ${route}\n${canonicalJson(body)}`, 'base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Requests with a key that this process is executing right now. */
export class InFlightKeys {
  private readonly running = new Map<string, { fingerprint: string; response: Promise<WriteResponse> }>();

  /** Runs `execute` unless the same key is executing; a repeat shares the first one's response. */
  async run(claim: IdempotencyClaim | undefined, execute: () => Promise<WriteResponse>): Promise<WriteResponse> {
    if (!claim) return execute();
    const current = this.running.get(claim.key);
    if (current) {
      if (current.fingerprint !== claim.fingerprint) {
        return problemResponse(problem('idempotency_key_reused', 'This Idempotency-Key is in use for a different request'));
      }
      const response = await waitAtMost(current.response, IN_FLIGHT_WAIT_MAX_MS);
      if (!response) {
        return problemResponse(problem('idempotency_key_in_progress', 'A request with this Idempotency-Key is still executing; retry shortly'));
      }
      // Only stored outcomes replay; a failure the first caller saw (503, 500) is not one.
      if (response.statusCode >= 500) return response;
      return { ...response, replayed: true };
    }
    const response = execute();
    this.running.set(claim.key, { fingerprint: claim.fingerprint, response });
    try {
      return await response;
    } finally {
      this.running.delete(claim.key);
    }
  }
}

/** The promise's value, or undefined when it takes longer than `ms`. */
async function waitAtMost<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  try {
    return await withTimeout(promise, ms);
  } catch (error) {
    if (error instanceof TimeoutError) return undefined;
    throw error;
  }
}
