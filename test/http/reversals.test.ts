// Proves POST /v1/transactions/{id}/reverse: a reversal moves money back from the original's
// destination to its source for deposits, withdrawals, transfers and captures, partially or for
// what is left, never beyond the original; the original's reversed_amount grows while its replays
// repeat the first answer; and every rejection (not found, not reversible, exceeds, insufficient
// funds, missing key, bad amount) changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { settlementAccountId } from '../../src/ids.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { assertInvalidFields, assertProblem, UNKNOWN_ID } from './helpers.js';

describe('reversals', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  const post = (path: string, body: Record<string, unknown>, key = newKey()) => api.request('POST', path, { body, idempotencyKey: key });
  const reverse = (id: string, body?: Record<string, unknown>, key = newKey()) =>
    api.request('POST', `/v1/transactions/${id}/reverse`, { body, idempotencyKey: key });
  const balanceOf = async (id: string) => (await api.request('GET', `/v1/accounts/${id}`)).body.balance as string;
  const transactionOf = async (id: string) => (await api.request('GET', `/v1/transactions/${id}`)).body;

  test('a transfer reversed in two parts: each moves money back, the original counts what is reversed', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const key = newKey();
    const original = await post('/v1/transactions/transfer', { source_account_id: source, destination_account_id: destination, amount: '60' }, key);
    const part = await reverse(original.body.id, { amount: '20', description: 'refund', metadata: { z: 1, a: 1 } });
    assert.equal(part.status, 201, part.raw);
    assert.equal(part.body.type, 'reversal');
    assert.equal(part.body.reverses_transaction_id, original.body.id);
    assert.equal(part.body.source_account_id, destination);
    assert.equal(part.body.destination_account_id, source);
    assert.equal(part.body.amount, '20');
    assert.equal(part.body.description, 'refund');
    assert.equal(part.body.reversed_amount, '0');
    assert.equal(await balanceOf(source), '60');
    assert.equal(await balanceOf(destination), '40');
    assert.equal((await transactionOf(original.body.id)).reversed_amount, '20');

    const rest = await reverse(original.body.id);
    assert.equal(rest.status, 201, rest.raw);
    assert.equal(rest.body.amount, '40', 'without amount, what is left is reversed');
    assert.equal(await balanceOf(source), '100');
    assert.equal(await balanceOf(destination), '0');
    assert.equal((await transactionOf(original.body.id)).reversed_amount, '60');
    const none = await reverse(original.body.id);
    assertProblem(none, 422, 'reversal_exceeds_original');
    assert.equal(none.body.reversed_amount, '60');

    const replay = await post('/v1/transactions/transfer', { source_account_id: source, destination_account_id: destination, amount: '60' }, key);
    assert.equal(replay.raw, original.raw, 'a replay repeats the first answer, reversed_amount included');
    const events = await renderedEvents(api.database.pool, [part.body.id]);
    assert.deepEqual(events.map((event) => event.routingKey), ['ledger.reversal.posted']);
    assert.deepEqual(events[0]!.envelope.data, part.body);
  });

  test('deposits, withdrawals and captures are reversible; a settlement account may go negative', async () => {
    const wallet = await fundedAccount(api, 'EUR', 0n);
    const settlement = settlementAccountId('EUR');
    const deposit = await post('/v1/transactions/deposit', { account_id: wallet, amount: '50' });
    const reversedDeposit = await reverse(deposit.body.id, { amount: 10 });
    assert.equal(reversedDeposit.status, 201, reversedDeposit.raw);
    assert.equal(reversedDeposit.body.source_account_id, wallet);
    assert.equal(reversedDeposit.body.destination_account_id, settlement);
    assert.equal(await balanceOf(wallet), '40');

    const withdrawal = await post('/v1/transactions/withdraw', { account_id: wallet, amount: '30' });
    const reversedWithdrawal = await reverse(withdrawal.body.id);
    assert.equal(reversedWithdrawal.status, 201, reversedWithdrawal.raw);
    assert.equal(reversedWithdrawal.body.amount, '30');
    assert.equal(await balanceOf(wallet), '40');

    const friend = await fundedAccount(api, 'EUR', 0n);
    const hold = (await post('/v1/holds', { source_account_id: wallet, destination_account_id: friend, amount: '25' })).body;
    const capture = await api.request('POST', `/v1/holds/${hold.id}/capture`, { idempotencyKey: newKey() });
    const reversedCapture = await reverse(capture.body.id, { amount: '5' });
    assert.equal(reversedCapture.status, 201, reversedCapture.raw);
    assert.equal(reversedCapture.body.hold_id, null);
    assert.equal(await balanceOf(friend), '20');
    assert.equal(await balanceOf(wallet), '20');
  });

  test('refusals: unknown transaction, a reversal, more than is left, money no longer there, bad input', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const original = (await post('/v1/transactions/transfer', { source_account_id: source, destination_account_id: destination, amount: '50' })).body;
    assertProblem(await reverse(UNKNOWN_ID), 404, 'transaction_not_found');
    const exceeds = await reverse(original.id, { amount: '51' });
    assertProblem(exceeds, 422, 'reversal_exceeds_original');
    assert.equal(exceeds.body.original_amount, '50');
    const reversal = (await reverse(original.id, { amount: '10' })).body;
    assertProblem(await reverse(reversal.id), 422, 'not_reversible');
    // The destination spends what it received, then holds the rest: the reversal finds too little available.
    await post('/v1/transactions/withdraw', { account_id: destination, amount: '30' });
    await post('/v1/holds', { source_account_id: destination, amount: '5' });
    const short = await reverse(original.id, { amount: '6' });
    assertProblem(short, 422, 'insufficient_funds');
    assert.equal(short.body.available_balance, '5');
    assertInvalidFields(await reverse(original.id, { amount: '0' }), ['amount']);
    assertInvalidFields(await reverse(original.id, { amount: '5', extra: 1 }), ['extra']);
    assertProblem(await api.request('POST', `/v1/transactions/${original.id}/reverse`), 400, 'idempotency_key_missing');
    assert.equal((await transactionOf(original.id)).reversed_amount, '10');
    assert.equal(await balanceOf(destination), '10');
  });

  test('a reversal replays byte for byte; the same key for another amount is refused', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const original = (await post('/v1/transactions/transfer', { source_account_id: source, destination_account_id: destination, amount: '50' })).body;
    const key = newKey();
    const first = await reverse(original.id, { amount: '10' }, key);
    const again = await reverse(original.id, { amount: 10 }, key);
    assert.equal(again.raw, first.raw);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assertProblem(await reverse(original.id, { amount: '11' }, key), 422, 'idempotency_key_reused');
    assert.equal(await balanceOf(destination), '40');
  });

  test('reversals of one transaction sent together never exceed it', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const original = (await post('/v1/transactions/transfer', { source_account_id: source, destination_account_id: destination, amount: '50' })).body;
    const answers = await Promise.all(Array.from({ length: 8 }, () => reverse(original.id, { amount: '10' })));
    assert.equal(answers.filter((answer) => answer.status === 201).length, 5);
    for (const refused of answers.filter((answer) => answer.status !== 201)) assertProblem(refused, 422, 'reversal_exceeds_original');
    assert.equal((await transactionOf(original.id)).reversed_amount, '50');
    assert.equal(await balanceOf(destination), '0');
  });
});
