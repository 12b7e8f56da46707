import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError } from '../errors.js';

// Every /v1 call carries X-Service-Api-Key, including calls to paths that name no route, so that
// the API's shape is not visible without the key. Both sides are hashed first so that the
// comparison takes the same time whatever the lengths, and runs in constant time. While a key is
// rotated two are accepted (SERVICE_API_KEY="current,next"); the given key is compared with both,
// every time, so the time taken does not say which one matched.

const PROTECTED_PREFIX = '/v1/';
const PROTECTED_PATH = /^\/v1(\/|\?|$)/;

/** A matched route is judged by its pattern (the raw URL may be percent-encoded), any other request by its URL. */
function isProtected(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return route === undefined ? PROTECTED_PATH.test(request.url) : route.startsWith(PROTECTED_PREFIX);
}

/** crypto.hash: one call, without the Hash object createHash builds. */
function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** True when `given` matches one of `expected`; compares with each of them, whatever matches first. */
function matchesAny(given: Buffer, expected: readonly Buffer[]): boolean {
  let matched = false;
  for (const key of expected) matched = timingSafeEqual(given, key) || matched;
  return matched;
}

/** Throws 401 `unauthorized` unless the request carries one of the keys (other protected paths use it too). */
export function apiKeyCheck(apiKeys: readonly string[]): (request: FastifyRequest) => void {
  // A service without a key would answer every /v1 call 401: a configuration bug, not a state to serve in.
  if (apiKeys.length === 0) throw new Error('apiKeyCheck: no API key configured');
  const expected = apiKeys.map(digest);
  return (request) => {
    const given = request.headers['x-service-api-key'];
    if (typeof given !== 'string' || !matchesAny(digest(given), expected)) {
      throw ProblemError.of('unauthorized', 'Send a valid X-Service-Api-Key header');
    }
  };
}

export function requireApiKey(app: FastifyInstance, apiKeys: readonly string[]): void {
  const check = apiKeyCheck(apiKeys);
  app.addHook('onRequest', async (request) => {
    if (isProtected(request)) check(request);
  });
}
