import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type pg from 'pg';
import { appliedMigrationName, latestMigrationName } from '../../db/migrations.js';
import { problem } from '../../errors.js';
import { sendProblem } from '../problemHandler.js';
import { problemResponses } from '../problemResponses.js';
import { sendJson } from '../reply.js';
import { Liveness, Readiness } from '../schemas.js';
import { withTimeout } from '../../timeouts.js';

const READINESS_TIMEOUT_MS = 2_000;

export const healthRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (app, { pool }) => {
  const latest = await latestMigrationName();

  app.get('/healthz', { schema: { summary: 'The process is alive', tags: ['health'], response: { 200: Liveness } } }, async (_request, reply) =>
    sendJson(reply, 200, { status: 'ok' }),
  );

  app.get('/readyz', {
    schema: {
      summary: 'The database is reachable and migrated',
      tags: ['health'],
      response: { 200: Readiness, ...problemResponses(['service_unavailable']) },
    },
  }, async (request, reply) => {
    const reason = await readinessProblem(pool, latest, request.log);
    if (reason) return sendProblem(reply, problem('service_unavailable', reason), { 'retry-after': '1' });
    return sendJson(reply, 200, { status: 'ready', migration: latest });
  });
};

/** Why the service is not ready (database unreachable, schema behind), or undefined when it is. */
export async function readinessProblem(pool: pg.Pool, latest: string, log: FastifyBaseLogger): Promise<string | undefined> {
  let applied: string | undefined;
  try {
    applied = await withTimeout(appliedMigrationName(pool), READINESS_TIMEOUT_MS);
  } catch (error) {
    // /readyz answers without a key: the driver's message (host names, user names) stays in the log.
    log.warn({ err: error }, 'readiness: database unreachable');
    return 'database unreachable';
  }
  if (applied !== latest) return `database schema is at ${applied ?? 'no migration'}, expected ${latest}: run npm run migrate`;
  return undefined;
}
