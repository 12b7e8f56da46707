import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { ProblemError } from '../../errors.js';
import type { LedgerWriter } from '../../ledger/ledgerWriter.js';
import type { IdempotencyClaim, LedgerOperation } from '../../ledger/operations.js';
import { readLedgerTransactions } from '../../ledger/sql/readLedgerTransactions.js';
import { inStoredKeyOrder } from '../../ledger/storedKeyOrder.js';
import { parseAmount } from '../../money.js';
import { readIdempotencyClaim, type InFlightKeys } from '../idempotency.js';
import { transactionResource } from '../resources.js';
import { checkBodyStorable } from '../storableBody.js';
import { sendJson, sendWriteResponse } from '../reply.js';
import type { WriteResponse } from '../writeResponses.js';
import { DepositBody, IdParams, ProblemSchema, Transaction, TransferBody, WithdrawBody } from '../schemas.js';

export interface TransactionRoutesOptions {
  pool: pg.Pool;
  writer: LedgerWriter<WriteResponse>;
  inFlight: InFlightKeys;
}

// Ids are compared as text on the write path, so they enter it in PostgreSQL's own (lower-case) spelling.
const WRITE_RESPONSES = { 201: Transaction, 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };

type PostingBody = Pick<TransferBody, 'amount' | 'currency' | 'description' | 'metadata'>;

function postingFields(body: PostingBody, amount: bigint, idempotency: IdempotencyClaim) {
  return { amount, currency: body.currency, description: body.description ?? null, metadata: inStoredKeyOrder(body.metadata ?? {}), idempotency };
}

export const transactionRoutes: FastifyPluginAsync<TransactionRoutesOptions> = async (app, { pool, writer, inFlight }) => {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();

  /** Checks the body, takes its Idempotency-Key (amounts compared by value) and hands the write to the writer. */
  async function submitPosting(
    request: FastifyRequest,
    reply: FastifyReply,
    body: PostingBody,
    toOperation: (amount: bigint, idempotency: IdempotencyClaim) => LedgerOperation,
  ) {
    checkBodyStorable(body);
    const amount = parseAmount(body.amount)!;
    const claim = readIdempotencyClaim(request, true, { ...body, amount: amount.toString() })!;
    const operation = toOperation(amount, claim);
    return sendWriteResponse(reply, await inFlight.run(claim, () => writer.submit(operation)));
  }

  for (const [path, kind, summary] of [
    ['/v1/transactions/deposit', 'deposit', 'Deposit into a wallet (from the currency\'s settlement account)'],
    ['/v1/transactions/withdraw', 'withdrawal', 'Withdraw from a wallet (to the currency\'s settlement account)'],
  ] as const) {
    typed.post(path, {
      schema: { summary, tags: ['transactions'], body: kind === 'deposit' ? DepositBody : WithdrawBody, response: WRITE_RESPONSES },
    }, async (request, reply) => {
      const body = request.body;
      return submitPosting(request, reply, body, (amount, idempotency) => ({
        kind,
        accountId: body.account_id.toLowerCase(),
        ...postingFields(body, amount, idempotency),
      }));
    });
  }

  typed.post('/v1/transactions/transfer', {
    schema: { summary: 'Transfer between two wallets of one currency', tags: ['transactions'], body: TransferBody, response: WRITE_RESPONSES },
  }, async (request, reply) => {
    const body = request.body;
    return submitPosting(request, reply, body, (amount, idempotency) => ({
      kind: 'transfer',
      sourceAccountId: body.source_account_id.toLowerCase(),
      destinationAccountId: body.destination_account_id.toLowerCase(),
      ...postingFields(body, amount, idempotency),
    }));
  });

  typed.get('/v1/transactions/:id', {
    schema: { summary: 'Read a transaction with its entries', tags: ['transactions'], params: IdParams, response: { 200: Transaction, 404: ProblemSchema } },
  }, async (request, reply) => {
    const id = request.params.id.toLowerCase();
    const found = (await readLedgerTransactions(pool, [id])).get(id);
    if (!found) throw ProblemError.of('transaction_not_found', `Transaction ${request.params.id} does not exist`);
    return sendJson(reply, 200, transactionResource(found.transaction, found.entries));
  });
};
