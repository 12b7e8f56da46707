// Proves POST /v1/transactions/withdraw: the wallet is debited and the settlement account credited,
// a wallet never goes below zero (insufficient_funds with the available balance), and its rejections.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { settlementAccountId } from '../../src/ids.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { assertProblem, UNKNOWN_ID } from './helpers.js';

describe('withdrawals', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  const withdraw = (body: Record<string, unknown>, key = newKey()) =>
    api.request('POST', '/v1/transactions/withdraw', { body, idempotencyKey: key });

  test('a withdrawal debits the wallet and credits the settlement account', async () => {
    const id = await fundedAccount(api, 'USD', 1000n);
    const settlement = settlementAccountId('USD');
    const response = await withdraw({ account_id: id, amount: '300', description: 'cash out' });
    assert.equal(response.status, 201);
    const transaction = response.body;
    assert.equal(transaction.type, 'withdrawal');
    assert.equal(transaction.status, 'posted');
    assert.equal(transaction.amount, '300');
    assert.equal(transaction.currency, 'USD');
    assert.equal(transaction.source_account_id, id);
    assert.equal(transaction.destination_account_id, settlement);
    assert.equal(transaction.description, 'cash out');
    assert.deepEqual(
      transaction.entries.map((entry: Record<string, unknown>) => [entry.account_id, entry.direction, entry.amount, entry.balance_after, entry.sequence]),
      [
        [id, 'debit', '300', '700', 2],
        [settlement, 'credit', '300', '-700', 2],
      ],
    );
    const account = await api.request('GET', `/v1/accounts/${id}`);
    assert.equal(account.body.balance, '700');
    const settlementAccount = await api.request('GET', `/v1/accounts/${settlement}`);
    assert.equal(settlementAccount.body.balance, '-700');
  });

  test('withdrawing the whole balance leaves exactly zero', async () => {
    const id = await fundedAccount(api, 'EUR', 250n);
    const response = await withdraw({ account_id: id, amount: 250, currency: 'EUR' });
    assert.equal(response.status, 201);
    const account = await api.request('GET', `/v1/accounts/${id}`);
    assert.equal(account.body.balance, '0');
    assert.equal(account.body.version, 2);
  });

  test('withdrawing more than the balance is 422 insufficient_funds with the available balance, and changes nothing', async () => {
    const id = await fundedAccount(api, 'GBP', 99n);
    const response = await withdraw({ account_id: id, amount: '100' });
    assertProblem(response, 422, 'insufficient_funds');
    assert.equal(response.body.available_balance, '99');
    assert.equal(response.body.amount, '100');
    assert.equal(response.body.account_id, id);
    const account = await api.request('GET', `/v1/accounts/${id}`);
    assert.equal(account.body.balance, '99');
    assert.equal(account.body.version, 1);
    const { rows } = await api.database.pool.query(`SELECT count(*)::int AS n FROM ledger_entries WHERE account_id = $1`, [id]);
    assert.equal(rows[0].n, 1);
  });

  test('withdrawing from an empty account is 422 insufficient_funds with available_balance "0"', async () => {
    const id = await fundedAccount(api, 'CHF', 0n);
    const response = await withdraw({ account_id: id, amount: '1' });
    assertProblem(response, 422, 'insufficient_funds');
    assert.equal(response.body.available_balance, '0');
  });

  test('a withdrawal from an unknown account is 404 account_not_found', async () => {
    const response = await withdraw({ account_id: UNKNOWN_ID, amount: '1' });
    assertProblem(response, 404, 'account_not_found');
  });

  test('a withdrawal in another currency than the account is 422 currency_mismatch', async () => {
    const id = await fundedAccount(api, 'JPY', 100n);
    const response = await withdraw({ account_id: id, amount: '1', currency: 'USD' });
    assertProblem(response, 422, 'currency_mismatch');
    const account = await api.request('GET', `/v1/accounts/${id}`);
    assert.equal(account.body.balance, '100');
  });

  test('a withdrawal writes one withdrawal.posted outbox row', async () => {
    const id = await fundedAccount(api, 'SEK', 10n);
    const response = await withdraw({ account_id: id, amount: '3' });
    const events = await renderedEvents(api.database.pool, [response.body.id]);
    assert.deepEqual(events.map((event) => event.eventType), ['withdrawal.posted']);
    assert.deepEqual(events[0]!.envelope.data, response.body, 'the event carries the transaction as the API returned it');
  });
});
