// Proves POST /v1/transactions/deposit: the exact transaction it returns, the double entry against
// the currency's settlement account, and its rejections (unknown account, wrong currency, overflow).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { settlementAccountId } from '../../src/ids.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { assertProblem, JSON_CONTENT_TYPE, UNKNOWN_ID } from './helpers.js';

describe('deposits', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  const deposit = (body: Record<string, unknown>, key = newKey()) =>
    api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });

  test('a deposit credits the wallet and debits the settlement account', async () => {
    const id = await fundedAccount(api, 'USD', 0n);
    const response = await deposit({
      account_id: id,
      amount: '1050',
      currency: 'USD',
      description: 'top-up',
      metadata: { source: 'card' },
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers['content-type'], JSON_CONTENT_TYPE);
    const transaction = response.body;
    const settlement = settlementAccountId('USD');
    assert.deepEqual(Object.keys(transaction).sort(), [
      'amount', 'created_at', 'currency', 'description', 'destination_account_id', 'entries', 'hold_id', 'id', 'metadata',
      'reversed_amount', 'reverses_transaction_id', 'source_account_id', 'status', 'type',
    ]);
    assert.equal(transaction.type, 'deposit');
    assert.equal(transaction.status, 'posted');
    assert.equal(transaction.amount, '1050');
    assert.equal(transaction.currency, 'USD');
    assert.equal(transaction.source_account_id, settlement);
    assert.equal(transaction.destination_account_id, id);
    assert.equal(transaction.description, 'top-up');
    assert.deepEqual(transaction.metadata, { source: 'card' });
    assert.equal(transaction.entries.length, 2);
    const [debit, credit] = transaction.entries;
    assert.deepEqual(
      { ...debit, id: undefined, created_at: undefined },
      { id: undefined, transaction_id: transaction.id, account_id: settlement, direction: 'debit', amount: '1050', balance_after: '-1050', sequence: 1, created_at: undefined },
    );
    assert.deepEqual(
      { ...credit, id: undefined, created_at: undefined },
      { id: undefined, transaction_id: transaction.id, account_id: id, direction: 'credit', amount: '1050', balance_after: '1050', sequence: 1, created_at: undefined },
    );
    assert.equal(debit.created_at, transaction.created_at);

    const account = await api.request('GET', `/v1/accounts/${id}`);
    assert.equal(account.body.balance, '1050');
    assert.equal(account.body.version, 1);
    const settlementAccount = await api.request('GET', `/v1/accounts/${settlement}`);
    assert.equal(settlementAccount.body.balance, '-1050');
  });

  test('description defaults to null and metadata to {}; currency may be omitted', async () => {
    const id = await fundedAccount(api, 'EUR', 0n);
    const response = await deposit({ account_id: id, amount: 5 });
    assert.equal(response.status, 201);
    assert.equal(response.body.description, null);
    assert.deepEqual(response.body.metadata, {});
    assert.equal(response.body.currency, 'EUR');
    assert.equal(response.body.amount, '5');
  });

  test('successive deposits number the entries 1, 2, 3 and carry running balances', async () => {
    const id = await fundedAccount(api, 'CAD', 0n);
    const balances: string[] = [];
    for (const amount of ['1', '20', '300']) {
      const response = await deposit({ account_id: id, amount });
      assert.equal(response.status, 201);
      const credit = response.body.entries.find((entry: { account_id: string }) => entry.account_id === id);
      balances.push(`${credit.sequence}:${credit.balance_after}`);
    }
    assert.deepEqual(balances, ['1:1', '2:21', '3:321']);
  });

  test('the largest amount, 10^38 - 1, is accepted', async () => {
    const id = await fundedAccount(api, 'BIG', 0n);
    const max = (10n ** 38n - 1n).toString();
    const response = await deposit({ account_id: id, amount: max });
    assert.equal(response.status, 201);
    assert.equal(response.body.amount, max);
    const account = await api.request('GET', `/v1/accounts/${id}`);
    assert.equal(account.body.balance, max);
  });

  test('a deposit to an unknown account is 404 account_not_found', async () => {
    const response = await deposit({ account_id: UNKNOWN_ID, amount: '10' });
    assertProblem(response, 404, 'account_not_found');
    assert.equal(response.body.account_id, UNKNOWN_ID);
    assert.equal(response.body.field, 'account_id');
  });

  test('a deposit straight into a settlement account is 404 account_not_found', async () => {
    await fundedAccount(api, 'AUD', 1n);
    const response = await deposit({ account_id: settlementAccountId('AUD'), amount: '10' });
    assertProblem(response, 404, 'account_not_found');
  });

  test('a deposit in another currency than the account is 422 currency_mismatch and changes nothing', async () => {
    const id = await fundedAccount(api, 'PLN', 100n);
    const response = await deposit({ account_id: id, amount: '10', currency: 'EUR' });
    assertProblem(response, 422, 'currency_mismatch');
    assert.equal(response.body.account_currency, 'PLN');
    const account = await api.request('GET', `/v1/accounts/${id}`);
    assert.equal(account.body.balance, '100');
    assert.equal(account.body.version, 1);
  });

  test('a deposit writes one deposit.posted outbox row', async () => {
    const id = await fundedAccount(api, 'MXN', 0n);
    const response = await deposit({ account_id: id, amount: '7' });
    const events = await renderedEvents(api.database.pool, [response.body.id]);
    assert.deepEqual(events.map((event) => event.eventType), ['deposit.posted']);
    assert.deepEqual(events[0]!.envelope.data, response.body, 'the event carries the transaction as the API returned it');
  });
});
