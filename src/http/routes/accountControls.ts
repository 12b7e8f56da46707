import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ReadPools } from '../../db/readPools.js';
import { ProblemError } from '../../errors.js';
import type { LedgerWriter } from '../../ledger/ledgerWriter.js';
import { listAccountHistory } from '../../ledger/sql/listAccountHistory.js';
import { readAccount } from '../../ledger/sql/readAccount.js';
import { inStoredKeyOrder } from '../../ledger/storedKeyOrder.js';
import { parseLimit } from '../../money.js';
import { AccountHistoryPage, UpdateAccountBody } from '../accountControlSchemas.js';
import { readIdempotencyClaim, type InFlightKeys } from '../idempotency.js';
import { readAsOfPosition } from '../ledgerPosition.js';
import { etagOfAccountBody, readIfMatch } from '../ifMatch.js';
import { BODY_PROBLEM_CODES, problemResponses, V1_PROBLEM_CODES } from '../problemResponses.js';
import { sendJson, sendWriteResponse } from '../reply.js';
import { accountHistoryResource } from '../resources.js';
import { AccountWithETag, EntriesQuery, IdParams, UpdateAccountHeaders } from '../schemas.js';
import { decodeSequenceCursor, encodeSequenceCursor } from '../sequenceCursor.js';
import { checkBodyStorable } from '../storableBody.js';
import type { WriteResponse } from '../writeResponses.js';

// Account controls: PATCH /v1/accounts/{id} changes a wallet's status, overdraft limit or metadata
// through its partition, in the same batches as its postings; its history lists each change.

export interface AccountControlRoutesOptions {
  reads: ReadPools;
  writer: LedgerWriter<WriteResponse>;
  inFlight: InFlightKeys;
}

const UPDATE_RESPONSES = {
  200: AccountWithETag,
  ...problemResponses([
    ...V1_PROBLEM_CODES,
    ...BODY_PROBLEM_CODES,
    'account_not_found',
    'precondition_failed',
    'precondition_required',
    'account_closed',
    'account_not_empty',
    'overdraft_limit_too_low',
    'settlement_account_fixed',
    'idempotency_key_in_progress',
    'idempotency_key_reused',
    'overloaded',
  ]),
};
const HISTORY_RESPONSES = { 200: AccountHistoryPage, ...problemResponses([...V1_PROBLEM_CODES, 'validation_error', 'account_not_found']) };

const HISTORY_PAGE_DEFAULT = 50;

export const accountControlRoutes: FastifyPluginAsync<AccountControlRoutesOptions> = async (app, { reads, writer, inFlight }) => {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();

  typed.patch('/v1/accounts/:id', {
    schema: {
      summary: "Change an account's status, overdraft limit or metadata",
      description: "If-Match must name the account's current ETag (every account answer carries one): 412 when it changed since, 428 without it. "
        + 'Only the fields given change. Idempotency-Key is optional and honoured. The answer carries the new ETag.',
      tags: ['accounts'],
      params: IdParams,
      documentedHeaders: UpdateAccountHeaders,
      body: UpdateAccountBody,
      response: UPDATE_RESPONSES,
    },
  }, async (request, reply) => {
    checkBodyStorable(request.body);
    const ifMatch = readIfMatch(request);
    // The precondition is part of the request: a repeat of the key must name the same one.
    const claim = readIdempotencyClaim(request, false, { body: request.body, if_match: request.headers['if-match'] });
    const { status, overdraft_limit, metadata } = request.body;
    const response = await inFlight.run(claim, () =>
      writer.submit({
        kind: 'update_account',
        accountId: request.params.id,
        ifMatch,
        status,
        overdraftLimit: overdraft_limit === undefined ? undefined : parseLimit(overdraft_limit),
        metadata: metadata === undefined ? undefined : inStoredKeyOrder(metadata),
        requestId: request.id,
        idempotency: claim,
        traceparent: request.traceparent,
      }),
    );
    if (response.statusCode === 200) reply.header('etag', etagOfAccountBody(response.body));
    return sendWriteResponse(reply, response);
  });

  typed.get('/v1/accounts/:id/history', {
    schema: {
      summary: "List an account's settings changes, newest first",
      tags: ['accounts'],
      params: IdParams,
      querystring: EntriesQuery,
      response: HISTORY_RESPONSES,
    },
  }, async (request, reply) => {
    const limit = request.query.limit ?? HISTORY_PAGE_DEFAULT;
    const before = request.query.cursor === undefined ? undefined : decodeSequenceCursor(request.query.cursor);
    const rows = await readAsOfPosition(reads, request, async (pool) => {
      const account = await readAccount(pool, request.params.id);
      if (!account) throw ProblemError.of('account_not_found', `Account ${request.params.id} does not exist`);
      return listAccountHistory(pool, account.id, limit, before);
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeSequenceCursor(last.version) : null;
    return sendJson(reply, 200, { data: page.map(accountHistoryResource), next_cursor: nextCursor });
  });
};
