import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { ProblemError } from '../../errors.js';
import type { LedgerEventType } from '../../ledger/events.js';
import { readLedgerTransactions } from '../../ledger/sql/readLedgerTransactions.js';
import { postedEventBody } from '../../relay/eventBodies.js';
import { listDeadLetters, type DeadLetterRow } from '../../relay/sql/listDeadLetters.js';
import { readOutboxState } from '../../relay/sql/readOutboxState.js';
import { readTransactionEvents, type TransactionEventRow } from '../../relay/sql/readTransactionEvents.js';
import { replayDeadLetters, type DeadLetterSelection } from '../../relay/sql/replayDeadLetters.js';
import { sendJson } from '../reply.js';
import { IdParams } from '../schemas.js';
import { DEAD_LETTERS_LISTED_DEFAULT, EventIdParams, OutboxQuery } from './adminSchemas.js';

// The operator's view of the outbox relay and its one action: the backlog, the oldest waiting
// event's age, the dead letters with their last error, a transaction's events; and replaying dead
// letters (one, or all) with the same statement as `npm run outbox:replay`. Behind the API key as
// every /v1 path, left out of the OpenAPI document (it is the operator's, not the clients' API).
// A replay is logged with the request's id (Fastify binds reqId to request.log).

export interface AdminOutboxRoutesOptions {
  pool: pg.Pool;
}

export const adminOutboxRoutes: FastifyPluginAsync<AdminOutboxRoutesOptions> = async (app, { pool }) => {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();

  typed.get('/v1/admin/outbox', { schema: { hide: true, querystring: OutboxQuery } }, async (request, reply) => {
    const limit = request.query.limit ?? DEAD_LETTERS_LISTED_DEFAULT;
    const [state, deadLetters] = await Promise.all([readOutboxState(pool), listDeadLetters(pool, limit)]);
    return sendJson(reply, 200, {
      backlog: state.backlog,
      oldest_age_seconds: state.oldestAgeSeconds,
      dead_letter_count: state.deadLetters,
      dead_letters: deadLetters.map(deadLetterResource),
    });
  });

  typed.get('/v1/admin/transactions/:id/events', { schema: { hide: true, params: IdParams } }, async (request, reply) => {
    const transactionId = request.params.id;
    const posting = (await readLedgerTransactions(pool, [transactionId])).get(transactionId.toLowerCase());
    if (!posting) throw ProblemError.of('transaction_not_found', `Transaction ${transactionId} does not exist`);
    const events = await readTransactionEvents(pool, transactionId);
    const data = events.map((event) => ({
      ...transactionEventResource(event),
      // The message as the relay publishes it: rendered from the transaction, the same bytes on every attempt.
      message: JSON.parse(postedEventBody(event.event_id, event.event_type as LedgerEventType, event.created_at, posting)),
    }));
    return sendJson(reply, 200, { transaction_id: posting.transaction.id, data });
  });

  typed.post('/v1/admin/dead-letters/replay', { schema: { hide: true } }, async (request, reply) => {
    const replayed = await replay(request.log, { all: true });
    return sendJson(reply, 200, { replayed });
  });

  typed.post('/v1/admin/dead-letters/:event_id/replay', { schema: { hide: true, params: EventIdParams } }, async (request, reply) => {
    const eventId = request.params.event_id;
    const replayed = await replay(request.log, { all: false, eventIds: [eventId], eventTypes: [] });
    if (replayed === 0) throw ProblemError.of('dead_letter_not_found', `No dead letter has event_id ${eventId}`);
    return sendJson(reply, 200, { replayed });
  });

  async function replay(log: FastifyBaseLogger, selection: DeadLetterSelection): Promise<number> {
    const replayed = await replayDeadLetters(pool, selection);
    const eventIds = selection.all ? 'all' : selection.eventIds;
    log.info({ eventIds, replayed }, 'dead letters moved back to the outbox by an operator');
    return replayed;
  }
};

function deadLetterResource(row: DeadLetterRow) {
  return { ...row, created_at: row.created_at.toISOString(), dead_at: row.dead_at.toISOString() };
}

function transactionEventResource(row: TransactionEventRow) {
  const state = row.dead_at ? 'dead_letter' : row.published_at ? 'published' : 'pending';
  return {
    event_id: row.event_id,
    event_type: row.event_type,
    routing_key: row.routing_key,
    state,
    attempts: row.attempts,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
    next_attempt_at: row.next_attempt_at?.toISOString() ?? null,
    published_at: row.published_at?.toISOString() ?? null,
    dead_at: row.dead_at?.toISOString() ?? null,
  };
}
