import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { apiKeyCheck } from './auth.js';

// Who may read the API's description. In production the OpenAPI document and Swagger UI (its page,
// assets and /docs/json) need X-Service-Api-Key like /v1 itself: the API's shape is not public,
// as the 401 on unknown /v1 paths already intends. In development and test they are open.

export const DOCS_ROUTE_PREFIX = '/docs';
export const OPENAPI_DOCUMENT_PATH = '/openapi.json';
const DOCS_PATH = /^\/(docs|openapi\.json)(\/|\?|$)/;

/** A matched route is judged by its pattern (the raw URL may be percent-encoded), any other request by its URL. */
function isDocs(request: FastifyRequest): boolean {
  return DOCS_PATH.test(request.routeOptions.url ?? request.url);
}

/** Register before the docs routes, so that their contexts inherit the hook. */
export function restrictDocs(app: FastifyInstance, environment: Config['environment'], apiKeys: readonly string[]): void {
  if (environment !== 'production') return;
  const check = apiKeyCheck(apiKeys);
  app.addHook('onRequest', async (request) => {
    if (isDocs(request)) check(request);
  });
}
