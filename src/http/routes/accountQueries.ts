import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ReadPools } from '../../db/readPools.js';
import { ProblemError } from '../../errors.js';
import { LIST_START } from '../../ledger/listPosition.js';
import { listAccounts, type AccountFilters } from '../../ledger/sql/listAccounts.js';
import { readBalanceAt } from '../../ledger/sql/readBalanceAt.js';
import { readAsOfPosition } from '../ledgerPosition.js';
import { readMetadataFilters } from '../metadataFilters.js';
import { problemResponses, V1_PROBLEM_CODES } from '../problemResponses.js';
import { decodeQueryCursor, encodeQueryCursor } from '../queryCursor.js';
import { AccountPage, AccountsQuery, BalanceAt, BalanceAtQuery } from '../querySchemas.js';
import { accountResource } from '../resources.js';
import { sendJson } from '../reply.js';
import { IdParams } from '../schemas.js';

// Reads of accounts beside GET /v1/accounts/{id}: the list with its filters, and the balance as of
// an instant. Plain SELECTs (on the replica when fresh enough): no lock that a write waits on.

export interface AccountQueryRoutesOptions {
  reads: ReadPools;
}

const BALANCE_RESPONSES = { 200: BalanceAt, ...problemResponses([...V1_PROBLEM_CODES, 'validation_error', 'account_not_found']) };
const LIST_RESPONSES = { 200: AccountPage, ...problemResponses([...V1_PROBLEM_CODES, 'validation_error']) };

export const accountQueryRoutes: FastifyPluginAsync<AccountQueryRoutesOptions> = async (app, { reads }) => {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();

  typed.get('/v1/accounts', {
    schema: {
      summary: 'List accounts, newest first, by currency, status, external_ref and metadata',
      description:
        'Filters combine with AND. metadata[key]=value (repeatable with different keys) keeps accounts whose metadata holds key with exactly this string value. next_cursor continues the list with the same filters.',
      tags: ['accounts'],
      querystring: AccountsQuery,
      response: LIST_RESPONSES,
    },
  }, async (request, reply) => {
    const { currency, status, external_ref: externalRef, limit = 50, cursor } = request.query;
    const filters: AccountFilters = { currency, status, externalRef, metadata: readMetadataFilters(request.query) };
    const after = cursor === undefined ? LIST_START : decodeQueryCursor('accounts', filters, cursor);
    const rows = await readAsOfPosition(reads, request, (pool) => listAccounts(pool, filters, limit, after));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeQueryCursor('accounts', filters, last.position) : null;
    return sendJson(reply, 200, { data: page.map((row) => accountResource(row.account)), next_cursor: nextCursor });
  });

  typed.get('/v1/accounts/:id/balance', {
    schema: {
      summary: "An account's balance as of an instant",
      description: "The balance after the account's last entry at or before `at` (\"0\" and sequence 0 before its first), read from one index probe.",
      tags: ['accounts'],
      params: IdParams,
      querystring: BalanceAtQuery,
      response: BALANCE_RESPONSES,
    },
  }, async (request, reply) => {
    const { at } = request.query;
    const found = await readAsOfPosition(reads, request, (pool) => readBalanceAt(pool, request.params.id, at));
    if (!found) throw ProblemError.of('account_not_found', `Account ${request.params.id} does not exist`);
    return sendJson(reply, 200, { balance: found.balance.toString(), sequence: Number(found.sequence), at });
  });
};
