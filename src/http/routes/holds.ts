import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import type { Clock } from '../../clock.js';
import type { HoldSettings } from '../../config.js';
import type { ReadPools } from '../../db/readPools.js';
import { ProblemError } from '../../errors.js';
import { newId } from '../../ids.js';
import type { LedgerWriter } from '../../ledger/ledgerWriter.js';
import { readAccount } from '../../ledger/sql/readAccount.js';
import { isKeyStored } from '../../ledger/sql/isKeyStored.js';
import { readHold } from '../../ledger/sql/readHold.js';
import { listHolds } from '../../ledger/sql/listHolds.js';
import { inStoredKeyOrder } from '../../ledger/storedKeyOrder.js';
import { parseAmount } from '../../money.js';
import { readIdempotencyClaim, type InFlightKeys } from '../idempotency.js';
import { readAsOfPosition } from '../ledgerPosition.js';
import { holdResource } from '../resources.js';
import { checkBodyStorable } from '../storableBody.js';
import { sendJson, sendWriteResponse } from '../reply.js';
import type { WriteResponse } from '../writeResponses.js';
import { BODY_PROBLEM_CODES, problemResponses, V1_PROBLEM_CODES } from '../problemResponses.js';
import { ReferenceCache } from '../referenceCache.js';
import { decodeHoldCursor, encodeHoldCursor } from '../holdCursor.js';
import {
  CaptureHoldBody, CreateHoldBody, Hold, HoldPage, HoldsQuery, IdParams, RequiredIdempotencyKeyHeader, Transaction, VoidHoldBody,
} from '../schemas.js';

export interface HoldRoutesOptions {
  pool: pg.Pool;
  reads: ReadPools;
  writer: LedgerWriter<WriteResponse>;
  inFlight: InFlightKeys;
  clock: Clock;
  holds: HoldSettings;
}

const WRITE_PROBLEM_CODES = [
  ...V1_PROBLEM_CODES,
  ...BODY_PROBLEM_CODES,
  'idempotency_key_missing',
  'idempotency_key_in_progress',
  'idempotency_key_reused',
  'overloaded',
] as const;

const CREATE_RESPONSES = {
  201: Hold,
  ...problemResponses([
    ...WRITE_PROBLEM_CODES, 'account_not_found', 'insufficient_funds', 'currency_mismatch', 'same_account', 'balance_overflow', 'account_frozen', 'account_closed',
  ]),
};
const CAPTURE_RESPONSES = {
  201: Transaction,
  ...problemResponses([...WRITE_PROBLEM_CODES, 'hold_not_found', 'hold_not_pending', 'capture_exceeds_hold', 'balance_overflow']),
};
const VOID_RESPONSES = { 200: Hold, ...problemResponses([...WRITE_PROBLEM_CODES, 'hold_not_found', 'hold_not_pending']) };
const READ_RESPONSES = { 200: Hold, ...problemResponses([...V1_PROBLEM_CODES, 'validation_error', 'hold_not_found']) };
const LIST_RESPONSES = { 200: HoldPage, ...problemResponses([...V1_PROBLEM_CODES, 'validation_error', 'account_not_found']) };

const WRITE_SCHEMA = {
  tags: ['holds'],
  description: 'Idempotency-Key is required: a repeat with the same key and body replays the first answer.',
  documentedHeaders: RequiredIdempotencyKeyHeader,
};

/** Capture and void may be sent without a body: it reads as an empty object. */
async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

export const holdRoutes: FastifyPluginAsync<HoldRoutesOptions> = async (app, { pool, reads, writer, inFlight, clock, holds }) => {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  const references = new ReferenceCache();

  /** The hold's accounts (they never change), or 404. */
  async function holdAccounts(id: string) {
    const found = await references.accountsOf(id, async (holdId) => {
      const hold = await readHold(pool, holdId);
      return hold && { sourceAccountId: hold.source_account_id, destinationAccountId: hold.destination_account_id };
    });
    if (!found) throw ProblemError.of('hold_not_found', `Hold ${id} does not exist`, { hold_id: id });
    return found;
  }

  /**
   * A hold's expiry: as asked, in the future and at most HOLD_TTL_MAX_HOURS ahead, or the default.
   * An expiry that has passed since a first request stored its answer under `key` is the repeat
   * of that request: it goes on, and the ledger replays the stored answer.
   */
  async function expiryOf(expiresAt: string | undefined, key: string): Promise<Date> {
    const now = clock.now().getTime();
    if (expiresAt === undefined) return new Date(now + holds.ttlDefaultMs);
    const asked = new Date(expiresAt);
    // JSON Schema's date-time admits a leap second (23:59:60), which no Date can hold.
    const why = Number.isNaN(asked.getTime()) ? 'must be a date-time without a leap second'
      : asked.getTime() <= now ? 'must be in the future'
      : asked.getTime() > now + holds.ttlMaxMs ? `must be at most ${holds.ttlMaxMs / 3_600_000} hours ahead` : undefined;
    if (why === undefined || (asked.getTime() <= now && (await isKeyStored(pool, key, new Date(now))))) return asked;
    throw ProblemError.of('validation_error', `expires_at ${why}`, { errors: [{ in: 'body', field: 'expires_at', message: why }] });
  }

  typed.post('/v1/holds', {
    schema: { ...WRITE_SCHEMA, summary: 'Reserve money on a wallet, to capture or void later', body: CreateHoldBody, response: CREATE_RESPONSES },
  }, async (request, reply) => {
    const body = request.body;
    checkBodyStorable(body);
    const amount = parseAmount(body.amount)!;
    const claim = readIdempotencyClaim(request, true, { ...body, amount: amount.toString() })!;
    const operation = {
      kind: 'create_hold' as const,
      holdId: newId(),
      sourceAccountId: body.source_account_id.toLowerCase(),
      destinationAccountId: body.destination_account_id?.toLowerCase() ?? null,
      amount,
      currency: body.currency,
      expiresAt: await expiryOf(body.expires_at, claim.key),
      description: body.description ?? null,
      metadata: inStoredKeyOrder(body.metadata ?? {}),
      idempotency: claim,
    };
    const response = await inFlight.run(claim, () => writer.submit({ ...operation, traceparent: request.traceparent }));
    // Its capture or void most likely comes next, through this process: it need not read the hold.
    if (response.statusCode === 201) rememberCreatedHold(response.body);
    return sendWriteResponse(reply, response);
  });

  function rememberCreatedHold(body: string): void {
    const hold = JSON.parse(body) as { id: string; source_account_id: string; destination_account_id: string };
    references.remember(hold.id, { sourceAccountId: hold.source_account_id, destinationAccountId: hold.destination_account_id });
  }

  typed.get('/v1/holds/:id', {
    schema: { summary: 'Read a hold', tags: ['holds'], params: IdParams, response: READ_RESPONSES },
  }, async (request, reply) => {
    const hold = await readAsOfPosition(reads, request, (pool) => readHold(pool, request.params.id));
    if (!hold) throw ProblemError.of('hold_not_found', `Hold ${request.params.id} does not exist`, { hold_id: request.params.id });
    return sendJson(reply, 200, holdResource(hold));
  });

  typed.post('/v1/holds/:id/capture', {
    preValidation: emptyBodyAsObject,
    schema: {
      ...WRITE_SCHEMA,
      summary: 'Capture a pending hold: post its amount (or less) from its source to its destination',
      params: IdParams,
      body: CaptureHoldBody,
      response: CAPTURE_RESPONSES,
    },
  }, async (request, reply) => {
    const amount = request.body.amount === undefined ? undefined : parseAmount(request.body.amount)!;
    const claim = readIdempotencyClaim(request, true, { amount: amount?.toString() })!;
    const holdId = request.params.id.toLowerCase();
    const accounts = await holdAccounts(holdId);
    const operation = { kind: 'capture_hold' as const, holdId, ...accounts, amount, idempotency: claim };
    return sendWriteResponse(reply, await inFlight.run(claim, () => writer.submit({ ...operation, traceparent: request.traceparent })));
  });

  typed.post('/v1/holds/:id/void', {
    preValidation: emptyBodyAsObject,
    schema: { ...WRITE_SCHEMA, summary: 'Void a pending hold, releasing its money', params: IdParams, body: VoidHoldBody, response: VOID_RESPONSES },
  }, async (request, reply) => {
    const claim = readIdempotencyClaim(request, true, {})!;
    const holdId = request.params.id.toLowerCase();
    const accounts = await holdAccounts(holdId);
    const operation = { kind: 'void_hold' as const, holdId, ...accounts, idempotency: claim };
    return sendWriteResponse(reply, await inFlight.run(claim, () => writer.submit({ ...operation, traceparent: request.traceparent })));
  });

  typed.get('/v1/accounts/:id/holds', {
    schema: {
      summary: "List the holds an account is the source or the destination of, newest first",
      tags: ['holds'],
      params: IdParams,
      querystring: HoldsQuery,
      response: LIST_RESPONSES,
    },
  }, async (request, reply) => {
    const limit = request.query.limit ?? 50;
    const after = request.query.cursor === undefined ? undefined : decodeHoldCursor(request.query.cursor);
    const rows = await readAsOfPosition(reads, request, async (pool) => {
      const account = await readAccount(pool, request.params.id);
      if (!account) throw ProblemError.of('account_not_found', `Account ${request.params.id} does not exist`);
      return listHolds(pool, account.id, request.query.status, limit, after);
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeHoldCursor({ createdAt: last.created_at, id: last.id }) : null;
    return sendJson(reply, 200, { data: page.map(holdResource), next_cursor: nextCursor });
  });
};
