import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { ProblemError } from '../../errors.js';
import { findAccountByExternalRef } from '../../ledger/sql/findAccountByExternalRef.js';
import { sendJson } from '../reply.js';
import { accountResource } from '../resources.js';
import { AccountLookupQuery } from './adminSchemas.js';

// The operator console's account look-up by external_ref: an admin read behind the API key (as
// every /v1 path), left out of the OpenAPI document, which describes the API for the ledger's
// clients. It answers the account as GET /v1/accounts/{id} does.

export interface AdminAccountRoutesOptions {
  pool: pg.Pool;
}

export const adminAccountRoutes: FastifyPluginAsync<AdminAccountRoutesOptions> = async (app, { pool }) => {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();

  typed.get('/v1/admin/accounts', { schema: { hide: true, querystring: AccountLookupQuery } }, async (request, reply) => {
    const externalRef = request.query.external_ref;
    const account = await findAccountByExternalRef(pool, externalRef);
    if (!account) throw ProblemError.of('account_not_found', `No account has external_ref ${JSON.stringify(externalRef)}`);
    return sendJson(reply, 200, accountResource(account));
  });
};
