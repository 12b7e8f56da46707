import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type pg from 'pg';
import type { Clock } from '../clock.js';
import type { Config, HoldSettings, HttpLimits } from '../config.js';
import type { ReadPools } from '../db/readPools.js';
import type { LedgerWriter } from '../ledger/ledgerWriter.js';
import { observeHttp } from '../metrics/httpMetrics.js';
import type { ServiceMetrics } from '../metrics/serviceMetrics.js';
import type { WriteResponse } from './writeResponses.js';
import { requireApiKey } from './auth.js';
import { capConnections } from './connectionCap.js';
import { refuseContentEncodings } from './contentEncoding.js';
import { DOCS_ROUTE_PREFIX, OPENAPI_DOCUMENT_PATH, restrictDocs } from './docsAccess.js';
import { refuseUnservableDocsPaths } from './docsStaticPaths.js';
import { showDocumentedHeaders } from './documentedHeaders.js';
import { trackExchanges } from './exchanges.js';
import { keepTraceContext } from './traceContext.js';
import { documentLedgerPosition } from './ledgerPosition.js';
import { InFlightKeys } from './idempotency.js';
import { registerExactJsonParser } from './jsonBody.js';
import { registerProblemHandlers, sendUrlProblem } from './problemHandler.js';
import { accountQueryRoutes } from './routes/accountQueries.js';
import { accountRoutes } from './routes/accounts.js';
import { adminAccountRoutes } from './routes/adminAccounts.js';
import { adminOutboxRoutes } from './routes/adminOutbox.js';
import { consoleRoutes } from './routes/console.js';
import { healthRoutes } from './routes/health.js';
import { holdRoutes } from './routes/holds.js';
import { transactionQueryRoutes } from './routes/transactionQueries.js';
import { transactionRoutes } from './routes/transactions.js';
import { serverLimitOptions } from './serverLimits.js';
import { drainUnreadBodies } from './unreadBodyDrain.js';
import { validatorCompiler } from './validation.js';

// The HTTP service, assembled in one readable place.

const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export interface AppOptions {
  pool: pg.Pool;
  /** Where the ledger's GETs read: the replica when fresh enough (DATABASE_READ_URL), else `pool`. */
  reads: ReadPools;
  writer: LedgerWriter<WriteResponse>;
  serviceApiKeys: readonly string[];
  logger: FastifyBaseLogger;
  /** In production the OpenAPI document and Swagger UI need the API key too. */
  environment: Config['environment'];
  httpLimits: HttpLimits;
  /** Undefined: no request is measured (METRICS_PORT=off). */
  metrics?: ServiceMetrics;
  /** "Now" for validating a hold's expiry: the write path's clock. */
  clock: Clock;
  holds: HoldSettings;
  /** Serve the operator console at /console (the /v1/admin API it calls is always there, behind the key). */
  consoleEnabled: boolean;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: BODY_LIMIT_BYTES,
    // The caller's X-Request-Id when it is sane, otherwise a fresh one; echoed on every response.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { allErrors: true } },
    frameworkErrors: sendUrlProblem,
    ...serverLimitOptions(options.httpLimits),
  });
  trackExchanges(app.server);
  keepTraceContext(app);
  if (options.metrics) observeHttp(app, options.metrics);
  capConnections(app.server, options.httpLimits.connectionsMax);
  drainUnreadBodies(app);
  app.setValidatorCompiler(validatorCompiler);
  // Only JSON bodies are accepted: anything else is answered 415.
  app.removeContentTypeParser('text/plain');
  registerExactJsonParser(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // While closing, answers to requests still in flight end their keep-alive connections, so
  // that close() does not wait for idle sockets to time out.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  requireApiKey(app, options.serviceApiKeys);
  restrictDocs(app, options.environment, options.serviceApiKeys);
  refuseContentEncodings(app);
  registerProblemHandlers(app);

  await app.register(swagger, {
    transform: showDocumentedHeaders,
    openapi: {
      info: {
        title: 'Wallet Ledger Service',
        version: '1.0.0',
        description:
          'Double-entry wallet ledger. Every /v1 call needs X-Service-Api-Key (Authorize); with ENVIRONMENT=production this document and Swagger UI need it too.',
      },
      components: {
        securitySchemes: { serviceApiKey: { type: 'apiKey', in: 'header', name: 'X-Service-Api-Key' } },
      },
    },
  });
  await app.register(async (docs) => {
    // Scoped to the docs' routes: API requests do not pay for a check that concerns only these.
    refuseUnservableDocsPaths(docs);
    await docs.register(swaggerUi, { routePrefix: DOCS_ROUTE_PREFIX });
  });
  app.get(OPENAPI_DOCUMENT_PATH, { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, { pool: options.pool });
  const inFlight = new InFlightKeys();
  await app.register(async (v1) => {
    v1.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, security: [{ serviceApiKey: [] }] };
      documentLedgerPosition(route);
    });
    const { pool, reads, writer } = options;
    await v1.register(accountRoutes, { reads, writer, inFlight });
    await v1.register(transactionRoutes, { pool, reads, writer, inFlight });
    await v1.register(accountQueryRoutes, { reads });
    await v1.register(transactionQueryRoutes, { reads });
    await v1.register(holdRoutes, { pool, reads, writer, inFlight, clock: options.clock, holds: options.holds });
    await v1.register(adminAccountRoutes, { pool: options.pool });
    await v1.register(adminOutboxRoutes, { pool: options.pool });
  });
  if (options.consoleEnabled) await app.register(consoleRoutes);
  return app;
}
