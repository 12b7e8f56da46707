import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ReadPools } from '../../db/readPools.js';
import { LIST_START } from '../../ledger/listPosition.js';
import { listLedgerTransactions, type LedgerTransactionFilters } from '../../ledger/sql/listLedgerTransactions.js';
import { readLedgerTransactions } from '../../ledger/sql/readLedgerTransactions.js';
import { readAsOfPosition } from '../ledgerPosition.js';
import { readMetadataFilters } from '../metadataFilters.js';
import { problemResponses, V1_PROBLEM_CODES } from '../problemResponses.js';
import { decodeQueryCursor, encodeQueryCursor } from '../queryCursor.js';
import { TransactionPage, TransactionsQuery } from '../querySchemas.js';
import { transactionResource } from '../resources.js';
import { sendJson } from '../reply.js';
import { checkTimeWindow } from '../timeWindow.js';

// The list of ledger transactions with its filters. Plain SELECTs (on the replica when fresh enough): no lock that a
// write waits on.

export interface TransactionQueryRoutesOptions {
  reads: ReadPools;
}

const LIST_RESPONSES = { 200: TransactionPage, ...problemResponses([...V1_PROBLEM_CODES, 'validation_error']) };

export const transactionQueryRoutes: FastifyPluginAsync<TransactionQueryRoutesOptions> = async (app, { reads }) => {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();

  typed.get('/v1/transactions', {
    schema: {
      summary: 'List ledger transactions, newest first, by account, type, time and metadata',
      description:
        'Filters combine with AND. account_id matches either side; the window is [from, to): from inclusive, to exclusive; from after to is a 400. metadata[key]=value (repeatable with different keys) keeps transactions whose metadata holds key with exactly this string value. An unknown account_id is an empty list. next_cursor continues the list with the same filters.',
      tags: ['transactions'],
      querystring: TransactionsQuery,
      response: LIST_RESPONSES,
    },
  }, async (request, reply) => {
    const { account_id: accountId, type, from, to, limit = 50, cursor } = request.query;
    checkTimeWindow(from, to);
    // Ids in PostgreSQL's own (lower-case) spelling, so that a cursor survives either spelling.
    const filters: LedgerTransactionFilters = { accountId: accountId?.toLowerCase(), type, from, to, metadata: readMetadataFilters(request.query) };
    const after = cursor === undefined ? LIST_START : decodeQueryCursor('transactions', filters, cursor);
    const { positions, page, found } = await readAsOfPosition(reads, request, async (pool) => {
      const listed = await listLedgerTransactions(pool, filters, limit, after);
      const shown = listed.slice(0, limit);
      return { positions: listed, page: shown, found: await readLedgerTransactions(pool, shown.map((position) => position.id)) };
    });
    const last = page.at(-1);
    const nextCursor = positions.length > limit && last ? encodeQueryCursor('transactions', filters, last) : null;
    const data = page.map((position) => {
      const { transaction, entries, reversedAmount } = found.get(position.id)!;
      return transactionResource(transaction, entries, reversedAmount);
    });
    return sendJson(reply, 200, { data, next_cursor: nextCursor });
  });
};
