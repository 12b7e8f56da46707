// Proves POST /v1/transactions/transfer: money moves between two wallets of one currency with
// balanced entries, and every rejection (same account, currency mismatch, unknown side,
// insufficient funds, settlement account as a side) changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { settlementAccountId } from '../../src/ids.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { assertProblem, UNKNOWN_ID } from './helpers.js';

describe('transfers', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  const transfer = (body: Record<string, unknown>, key = newKey()) =>
    api.request('POST', '/v1/transactions/transfer', { body, idempotencyKey: key });
  const balanceOf = async (id: string) => (await api.request('GET', `/v1/accounts/${id}`)).body.balance as string;

  test('a transfer debits the source and credits the destination', async () => {
    const source = await fundedAccount(api, 'USD', 1000n);
    const destination = await fundedAccount(api, 'USD', 10n);
    const response = await transfer({
      source_account_id: source,
      destination_account_id: destination,
      amount: '400',
      currency: 'USD',
      description: 'rent',
      metadata: { month: '2026-11' },
    });
    assert.equal(response.status, 201);
    const transaction = response.body;
    assert.equal(transaction.type, 'transfer');
    assert.equal(transaction.status, 'posted');
    assert.equal(transaction.amount, '400');
    assert.equal(transaction.currency, 'USD');
    assert.equal(transaction.source_account_id, source);
    assert.equal(transaction.destination_account_id, destination);
    assert.equal(transaction.description, 'rent');
    assert.deepEqual(transaction.metadata, { month: '2026-11' });
    assert.deepEqual(
      transaction.entries.map((entry: Record<string, unknown>) => [entry.account_id, entry.direction, entry.amount, entry.balance_after, entry.sequence, entry.transaction_id]),
      [
        [source, 'debit', '400', '600', 2, transaction.id],
        [destination, 'credit', '400', '410', 2, transaction.id],
      ],
    );
    assert.equal(await balanceOf(source), '600');
    assert.equal(await balanceOf(destination), '410');
    // Transfers do not touch the settlement account.
    assert.equal(await balanceOf(settlementAccountId('USD')), '-1010');
  });

  test('a transfer of the whole balance empties the source; one unit more is insufficient_funds', async () => {
    const source = await fundedAccount(api, 'EUR', 50n);
    const destination = await fundedAccount(api, 'EUR', 0n);
    const tooMuch = await transfer({ source_account_id: source, destination_account_id: destination, amount: 51 });
    assertProblem(tooMuch, 422, 'insufficient_funds');
    assert.equal(tooMuch.body.available_balance, '50');
    assert.equal(await balanceOf(source), '50');
    assert.equal(await balanceOf(destination), '0');
    const exact = await transfer({ source_account_id: source, destination_account_id: destination, amount: 50 });
    assert.equal(exact.status, 201);
    assert.equal(await balanceOf(source), '0');
    assert.equal(await balanceOf(destination), '50');
  });

  test('a transfer to the same account is 422 same_account', async () => {
    const account = await fundedAccount(api, 'USD', 100n);
    const response = await transfer({ source_account_id: account, destination_account_id: account, amount: '1' });
    assertProblem(response, 422, 'same_account');
    assert.equal(await balanceOf(account), '100');
  });

  test('a transfer between currencies is 422 currency_mismatch', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'EUR', 0n);
    const response = await transfer({ source_account_id: source, destination_account_id: destination, amount: '1' });
    assertProblem(response, 422, 'currency_mismatch');
    assert.equal(await balanceOf(source), '100');
    assert.equal(await balanceOf(destination), '0');
  });

  test('a transfer whose currency differs from both accounts is 422 currency_mismatch', async () => {
    const source = await fundedAccount(api, 'GBP', 100n);
    const destination = await fundedAccount(api, 'GBP', 0n);
    const response = await transfer({ source_account_id: source, destination_account_id: destination, amount: '1', currency: 'USD' });
    assertProblem(response, 422, 'currency_mismatch');
    assert.equal(await balanceOf(source), '100');
  });

  test('an unknown source or destination is 404 account_not_found naming the field', async () => {
    const known = await fundedAccount(api, 'USD', 100n);
    const unknownSource = await transfer({ source_account_id: UNKNOWN_ID, destination_account_id: known, amount: '1' });
    assertProblem(unknownSource, 404, 'account_not_found');
    assert.equal(unknownSource.body.field, 'source_account_id');
    const unknownDestination = await transfer({ source_account_id: known, destination_account_id: UNKNOWN_ID, amount: '1' });
    assertProblem(unknownDestination, 404, 'account_not_found');
    assert.equal(unknownDestination.body.field, 'destination_account_id');
    assert.equal(await balanceOf(known), '100');
  });

  test('a settlement account cannot be a side of a transfer: 404 account_not_found', async () => {
    const wallet = await fundedAccount(api, 'USD', 100n);
    const settlement = settlementAccountId('USD');
    const from = await transfer({ source_account_id: settlement, destination_account_id: wallet, amount: '1' });
    assertProblem(from, 404, 'account_not_found');
    const to = await transfer({ source_account_id: wallet, destination_account_id: settlement, amount: '1' });
    assertProblem(to, 404, 'account_not_found');
    assert.equal(await balanceOf(wallet), '100');
  });

  test('a transfer writes one transfer.posted outbox row', async () => {
    const source = await fundedAccount(api, 'USD', 10n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const response = await transfer({ source_account_id: source, destination_account_id: destination, amount: '1' });
    const events = await renderedEvents(api.database.pool, [response.body.id]);
    assert.deepEqual(events.map((event) => [event.eventType, event.routingKey]), [['transfer.posted', 'ledger.transfer.posted']]);
    assert.deepEqual(events[0]!.envelope.data, response.body, 'the event carries the transaction as the API returned it');
  });
});
