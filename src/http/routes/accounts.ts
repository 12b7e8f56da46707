import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ReadPools } from '../../db/readPools.js';
import { ProblemError } from '../../errors.js';
import { newId } from '../../ids.js';
import type { LedgerWriter } from '../../ledger/ledgerWriter.js';
import { listEntries } from '../../ledger/sql/listEntries.js';
import { readAccount } from '../../ledger/sql/readAccount.js';
import { inStoredKeyOrder } from '../../ledger/storedKeyOrder.js';
import { readIdempotencyClaim, type InFlightKeys } from '../idempotency.js';
import { readAsOfPosition } from '../ledgerPosition.js';
import { accountResource, entryResource } from '../resources.js';
import { checkBodyStorable } from '../storableBody.js';
import { sendJson, sendWriteResponse } from '../reply.js';
import { etagOfAccount, etagOfAccountBody } from '../ifMatch.js';
import { decodeSequenceCursor, encodeSequenceCursor } from '../sequenceCursor.js';
import { accountControlRoutes } from './accountControls.js';
import type { WriteResponse } from '../writeResponses.js';
import { BODY_PROBLEM_CODES, problemResponses, V1_PROBLEM_CODES } from '../problemResponses.js';
import { AccountWithETag, CreateAccountBody, EntryPage, IdParams, OptionalIdempotencyKeyHeader } from '../schemas.js';
import { EntriesWindowQuery } from '../querySchemas.js';
import { checkTimeWindow } from '../timeWindow.js';

export interface AccountRoutesOptions {
  reads: ReadPools;
  writer: LedgerWriter<WriteResponse>;
  inFlight: InFlightKeys;
}

const OPEN_RESPONSES = {
  201: AccountWithETag,
  ...problemResponses([
    ...V1_PROBLEM_CODES,
    ...BODY_PROBLEM_CODES,
    'external_ref_taken',
    'idempotency_key_in_progress',
    'idempotency_key_reused',
    'overloaded',
  ]),
};
const READ_PROBLEMS = problemResponses([...V1_PROBLEM_CODES, 'validation_error', 'account_not_found']);

export const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (app, { reads, writer, inFlight }) => {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(accountControlRoutes, { reads, writer, inFlight });

  typed.post('/v1/accounts', {
    schema: {
      summary: 'Open an account',
      description: 'Idempotency-Key is optional and honoured: a repeat with the same key and body replays the first answer.',
      tags: ['accounts'],
      documentedHeaders: OptionalIdempotencyKeyHeader,
      body: CreateAccountBody,
      response: OPEN_RESPONSES,
    },
  }, async (request, reply) => {
    checkBodyStorable(request.body);
    const claim = readIdempotencyClaim(request, false);
    const { currency, external_ref, metadata } = request.body;
    const response = await inFlight.run(claim, () =>
      writer.submit({
        kind: 'open_account',
        accountId: newId(),
        currency,
        externalRef: external_ref ?? null,
        metadata: inStoredKeyOrder(metadata ?? {}),
        idempotency: claim,
        traceparent: request.traceparent,
      }),
    );
    if (response.statusCode === 201) reply.header('etag', etagOfAccountBody(response.body));
    return sendWriteResponse(reply, response);
  });

  typed.get('/v1/accounts/:id', {
    schema: { summary: 'Read an account (with its ETag, for If-Match)', tags: ['accounts'], params: IdParams, response: { 200: AccountWithETag, ...READ_PROBLEMS } },
  }, async (request, reply) => {
    const account = await readAsOfPosition(reads, request, (pool) => readAccount(pool, request.params.id));
    if (!account) throw ProblemError.of('account_not_found', `Account ${request.params.id} does not exist`);
    return sendJson(reply.header('etag', etagOfAccount(account)), 200, accountResource(account));
  });

  typed.get('/v1/accounts/:id/entries', {
    schema: {
      summary: "List an account's entries, newest first",
      description: 'from (inclusive) and to (exclusive) keep the entries created in [from, to); from after to is a 400.',
      tags: ['accounts'],
      params: IdParams,
      querystring: EntriesWindowQuery,
      response: { 200: EntryPage, ...READ_PROBLEMS },
    },
  }, async (request, reply) => {
    const { limit = 50, from, to } = request.query;
    checkTimeWindow(from, to);
    const before = request.query.cursor === undefined ? undefined : decodeSequenceCursor(request.query.cursor);
    const rows = await readAsOfPosition(reads, request, async (pool) => {
      const account = await readAccount(pool, request.params.id);
      if (!account) throw ProblemError.of('account_not_found', `Account ${request.params.id} does not exist`);
      return listEntries(pool, account.id, limit, before, { from, to });
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeSequenceCursor(last.sequence) : null;
    return sendJson(reply, 200, { data: page.map(entryResource), next_cursor: nextCursor });
  });
};
