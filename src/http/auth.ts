import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError } from '../errors.js';

// Every /v1 call carries X-Service-Api-Key, including calls to paths that name no route, so that
// the API's shape is not visible without the key. Both sides are hashed first so that the
// comparison takes the same time whatever the lengths, and runs in constant time.

const PROTECTED_PREFIX = '/v1/';
const PROTECTED_PATH = /^\/v1(\/|\?|$)/;

/** A matched route is judged by its pattern (the raw URL may be percent-encoded), any other request by its URL. */
function isProtected(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return route === undefined ? PROTECTED_PATH.test(request.url) : route.startsWith(PROTECTED_PREFIX);
}

/** crypto.hash: one call, without the Hash object createHash builds (half the time per request). */
function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** Throws 401 `unauthorized` unless the request carries the key (other protected paths use it too). */
export function apiKeyCheck(apiKey: string): (request: FastifyRequest) => void {
  const expected = digest(apiKey);
  return (request) => {
    const given = request.headers['x-service-api-key'];
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
      throw ProblemError.of('unauthorized', 'Send a valid X-Service-Api-Key header');
    }
  };
}

export function requireApiKey(app: FastifyInstance, apiKey: string): void {
  const check = apiKeyCheck(apiKey);
  app.addHook('onRequest', async (request) => {
    if (isProtected(request)) check(request);
  });
}
