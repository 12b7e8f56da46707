import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import type { ReadPools } from '../../db/readPools.js';
import { ProblemError } from '../../errors.js';
import type { LedgerWriter } from '../../ledger/ledgerWriter.js';
import type { IdempotencyClaim, LedgerOperation } from '../../ledger/operations.js';
import { readLedgerTransactions } from '../../ledger/sql/readLedgerTransactions.js';
import { readTransactionAccounts } from '../../ledger/sql/readTransactionAccounts.js';
import { inStoredKeyOrder } from '../../ledger/storedKeyOrder.js';
import { parseAmount } from '../../money.js';
import { readIdempotencyClaim, type InFlightKeys } from '../idempotency.js';
import { readAsOfPosition } from '../ledgerPosition.js';
import { transactionResource } from '../resources.js';
import { checkBodyStorable } from '../storableBody.js';
import { sendJson, sendWriteResponse } from '../reply.js';
import type { WriteResponse } from '../writeResponses.js';
import { BODY_PROBLEM_CODES, problemResponses, V1_PROBLEM_CODES } from '../problemResponses.js';
import { ReferenceCache } from '../referenceCache.js';
import { canonicalMultiLegBody, legsOf, multiLegOperation } from '../multiLegRequest.js';
import {
  AnyTransaction, DepositBody, IdParams, MultiLegBody, MultiLegTransaction, RequiredIdempotencyKeyHeader, ReverseBody, Transaction, TransferBody, WithdrawBody,
} from '../schemas.js';

export interface TransactionRoutesOptions {
  pool: pg.Pool;
  reads: ReadPools;
  writer: LedgerWriter<WriteResponse>;
  inFlight: InFlightKeys;
}

// Ids are compared as text on the write path, so they enter it in PostgreSQL's own (lower-case) spelling.

/** What every posting can answer; each kind adds the rejections only it can meet. */
const POSTING_PROBLEM_CODES = [
  ...V1_PROBLEM_CODES,
  ...BODY_PROBLEM_CODES,
  'idempotency_key_missing',
  'idempotency_key_in_progress',
  'idempotency_key_reused',
  'account_not_found',
  'currency_mismatch',
  'balance_overflow',
  'account_closed',
  'overloaded',
] as const;

const POSTING_SCHEMA = {
  tags: ['transactions'],
  description: 'Idempotency-Key is required: a repeat with the same key and body replays the first answer.',
  documentedHeaders: RequiredIdempotencyKeyHeader,
};

const WRITE_RESPONSES = {
  deposit: { 201: Transaction, ...problemResponses(POSTING_PROBLEM_CODES) },
  withdrawal: { 201: Transaction, ...problemResponses([...POSTING_PROBLEM_CODES, 'insufficient_funds', 'account_frozen']) },
  transfer: { 201: Transaction, ...problemResponses([...POSTING_PROBLEM_CODES, 'insufficient_funds', 'same_account', 'account_frozen']) },
  reversal: {
    201: Transaction,
    ...problemResponses([...POSTING_PROBLEM_CODES, 'transaction_not_found', 'insufficient_funds', 'reversal_exceeds_original', 'not_reversible', 'account_frozen']),
  },
  multiLeg: { 201: MultiLegTransaction, ...problemResponses([...POSTING_PROBLEM_CODES, 'insufficient_funds', 'same_account']) },
};

const READ_RESPONSES = { 200: AnyTransaction, ...problemResponses([...V1_PROBLEM_CODES, 'validation_error', 'transaction_not_found']) };

type PostingBody = Pick<TransferBody, 'amount' | 'currency' | 'description' | 'metadata'>;

function postingFields(body: PostingBody, amount: bigint, idempotency: IdempotencyClaim) {
  return { amount, currency: body.currency, description: body.description ?? null, metadata: inStoredKeyOrder(body.metadata ?? {}), idempotency };
}

/** A transaction's two accounts; a multi-leg transaction is refused here, since it is not reversed. */
async function readReversibleAccounts(pool: pg.Pool, id: string) {
  const accounts = await readTransactionAccounts(pool, id);
  if (accounts !== 'multi_leg') return accounts;
  throw ProblemError.of('not_reversible', `Transaction ${id} is a multi-leg transaction, which is not reversed`, { transaction_id: id });
}

export const transactionRoutes: FastifyPluginAsync<TransactionRoutesOptions> = async (app, { pool, reads, writer, inFlight }) => {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  const originals = new ReferenceCache();

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
    return sendWriteResponse(reply, await inFlight.run(claim, () => writer.submit({ ...operation, traceparent: request.traceparent })));
  }

  for (const [path, kind, summary] of [
    ['/v1/transactions/deposit', 'deposit', 'Deposit into a wallet (from the currency\'s settlement account)'],
    ['/v1/transactions/withdraw', 'withdrawal', 'Withdraw from a wallet (to the currency\'s settlement account)'],
  ] as const) {
    typed.post(path, {
      schema: { ...POSTING_SCHEMA, summary, body: kind === 'deposit' ? DepositBody : WithdrawBody, response: WRITE_RESPONSES[kind] },
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
    schema: { ...POSTING_SCHEMA, summary: 'Transfer between two wallets of one currency', body: TransferBody, response: WRITE_RESPONSES.transfer },
  }, async (request, reply) => {
    const body = request.body;
    return submitPosting(request, reply, body, (amount, idempotency) => ({
      kind: 'transfer',
      sourceAccountId: body.source_account_id.toLowerCase(),
      destinationAccountId: body.destination_account_id.toLowerCase(),
      ...postingFields(body, amount, idempotency),
    }));
  });

  typed.post('/v1/transactions', {
    schema: {
      ...POSTING_SCHEMA,
      summary: 'Post several legs as one transaction, all or none (each leg moves one currency between two accounts)',
      body: MultiLegBody,
      response: WRITE_RESPONSES.multiLeg,
    },
  }, async (request, reply) => {
    const body = request.body;
    checkBodyStorable(body);
    const legs = legsOf(body);
    const claim = readIdempotencyClaim(request, true, canonicalMultiLegBody(body, legs))!;
    const operation = multiLegOperation(body, legs, claim);
    return sendWriteResponse(reply, await inFlight.run(claim, () => writer.submit({ ...operation, traceparent: request.traceparent })));
  });

  typed.post('/v1/transactions/:id/reverse', {
    // The body may be omitted: what is left of the transaction is reversed.
    preValidation: async (request) => {
      request.body ??= {};
    },
    schema: {
      ...POSTING_SCHEMA,
      summary: "Reverse a transaction (all that is left of it, or part): move the money back from its destination to its source",
      params: IdParams,
      body: ReverseBody,
      response: WRITE_RESPONSES.reversal,
    },
  }, async (request, reply) => {
    const body = request.body;
    checkBodyStorable(body);
    const amount = body.amount === undefined ? undefined : parseAmount(body.amount)!;
    const claim = readIdempotencyClaim(request, true, { ...body, amount: amount?.toString() })!;
    const transactionId = request.params.id.toLowerCase();
    const accounts = await originals.accountsOf(transactionId, (id) => readReversibleAccounts(pool, id));
    if (!accounts) throw ProblemError.of('transaction_not_found', `Transaction ${request.params.id} does not exist`, { transaction_id: transactionId });
    const operation: LedgerOperation = {
      kind: 'reverse_transaction',
      transactionId,
      originalSourceAccountId: accounts.sourceAccountId,
      originalDestinationAccountId: accounts.destinationAccountId,
      amount,
      description: body.description ?? null,
      metadata: inStoredKeyOrder(body.metadata ?? {}),
      idempotency: claim,
    };
    return sendWriteResponse(reply, await inFlight.run(claim, () => writer.submit({ ...operation, traceparent: request.traceparent })));
  });

  typed.get('/v1/transactions/:id', {
    schema: { summary: 'Read a transaction with its entries', tags: ['transactions'], params: IdParams, response: READ_RESPONSES },
  }, async (request, reply) => {
    const id = request.params.id.toLowerCase();
    const found = (await readAsOfPosition(reads, request, (pool) => readLedgerTransactions(pool, [id]))).get(id);
    if (!found) throw ProblemError.of('transaction_not_found', `Transaction ${request.params.id} does not exist`);
    return sendJson(reply, 200, transactionResource(found.transaction, found.entries, found.reversedAmount));
  });
};
