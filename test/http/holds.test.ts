// Proves POST /v1/holds, capture and void end to end: pending sums and available balances after
// each step, captures posted as transfers or withdrawals carrying hold_id, partial captures
// releasing the rest, every rejection code and validation error, replays, listing, and that a
// capture and a void of one hold racing each other have exactly one winner.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { settlementAccountId } from '../../src/ids.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { assertInvalidFields, assertProblem, UNKNOWN_ID } from './helpers.js';

describe('holds', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  const createHold = (body: Record<string, unknown>, key = newKey()) => api.request('POST', '/v1/holds', { body, idempotencyKey: key });
  const capture = (id: string, body?: Record<string, unknown>, key = newKey()) =>
    api.request('POST', `/v1/holds/${id}/capture`, { body, idempotencyKey: key });
  const voidHold = (id: string, key = newKey()) => api.request('POST', `/v1/holds/${id}/void`, { idempotencyKey: key });
  const sums = async (id: string) => {
    const { balance, available_balance, pending_debits, pending_credits } = (await api.request('GET', `/v1/accounts/${id}`)).body;
    return { balance, available_balance, pending_debits, pending_credits };
  };

  test('a hold reserves money on both accounts; its capture moves it and releases the reservation', async () => {
    const source = await fundedAccount(api, 'USD', 1000n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const created = await createHold({ source_account_id: source, destination_account_id: destination, amount: '400', description: 'ride', metadata: { b: 1, a: 2 } });
    assert.equal(created.status, 201, created.raw);
    const hold = created.body;
    assert.deepEqual(Object.keys(hold), ['id', 'status', 'source_account_id', 'destination_account_id', 'amount', 'captured_amount',
      'currency', 'expires_at', 'capture_transaction_id', 'description', 'metadata', 'created_at', 'updated_at']);
    assert.equal(hold.status, 'pending');
    assert.equal(hold.amount, '400');
    assert.equal(hold.captured_amount, '0');
    assert.equal(hold.currency, 'USD');
    assert.equal(hold.capture_transaction_id, null);
    assert.equal(created.raw.includes('"metadata":{"a":2,"b":1}'), true);
    const defaultTtlMs = Date.parse(hold.expires_at) - Date.parse(hold.created_at);
    // The default expiry is set when the request arrives, a moment before the batch's time.
    assert.ok(defaultTtlMs <= 168 * 3_600_000 && defaultTtlMs > 168 * 3_600_000 - 5_000, `${defaultTtlMs}`);
    assert.deepEqual(await sums(source), { balance: '1000', available_balance: '600', pending_debits: '400', pending_credits: '0' });
    assert.deepEqual(await sums(destination), { balance: '0', available_balance: '0', pending_debits: '0', pending_credits: '400' });
    assert.equal((await api.request('GET', `/v1/holds/${hold.id}`)).raw, created.raw);

    const captured = await capture(hold.id);
    assert.equal(captured.status, 201, captured.raw);
    const transaction = captured.body;
    assert.equal(transaction.type, 'transfer');
    assert.equal(transaction.hold_id, hold.id);
    assert.equal(transaction.amount, '400');
    assert.equal(transaction.reversed_amount, '0');
    assert.equal(transaction.reverses_transaction_id, null);
    assert.equal(transaction.source_account_id, source);
    assert.equal(transaction.destination_account_id, destination);
    assert.deepEqual(await sums(source), { balance: '600', available_balance: '600', pending_debits: '0', pending_credits: '0' });
    assert.deepEqual(await sums(destination), { balance: '400', available_balance: '400', pending_debits: '0', pending_credits: '0' });
    const after = (await api.request('GET', `/v1/holds/${hold.id}`)).body;
    assert.equal(after.status, 'captured');
    assert.equal(after.captured_amount, '400');
    assert.equal(after.capture_transaction_id, transaction.id);
    assert.equal((await api.request('GET', `/v1/transactions/${transaction.id}`)).raw, captured.raw);

    const events = await renderedEvents(api.database.pool, [hold.id, transaction.id]);
    assert.deepEqual(events.map((event) => event.routingKey), ['ledger.hold.created', 'ledger.transfer.posted', 'ledger.hold.captured']);
    assert.equal((events[1]!.envelope.data as { hold_id: string }).hold_id, hold.id);
    const capturedData = events[2]!.envelope.data as { hold: { status: string }; transaction: { id: string } };
    assert.equal(capturedData.hold.status, 'captured');
    assert.equal(capturedData.transaction.id, transaction.id);
  });

  test('a partial capture posts what it names and releases the rest; a second capture is hold_not_pending', async () => {
    const source = await fundedAccount(api, 'USD', 500n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const hold = (await createHold({ source_account_id: source, destination_account_id: destination, amount: 300 })).body;
    const captured = await capture(hold.id, { amount: 120 });
    assert.equal(captured.status, 201, captured.raw);
    assert.equal(captured.body.amount, '120');
    assert.deepEqual(await sums(source), { balance: '380', available_balance: '380', pending_debits: '0', pending_credits: '0' });
    assert.deepEqual(await sums(destination), { balance: '120', available_balance: '120', pending_debits: '0', pending_credits: '0' });
    const again = await capture(hold.id);
    assertProblem(again, 409, 'hold_not_pending');
    assert.equal(again.body.hold_status, 'captured');
    assertProblem(await voidHold(hold.id), 409, 'hold_not_pending');
  });

  test('a hold without a destination holds for a withdrawal: captured, it pays the settlement account', async () => {
    const source = await fundedAccount(api, 'GBP', 200n);
    const settlement = settlementAccountId('GBP');
    const before = await sums(settlement);
    const hold = (await createHold({ source_account_id: source, amount: '150', currency: 'GBP' })).body;
    assert.equal(hold.destination_account_id, settlement);
    assert.equal((await sums(settlement)).pending_credits, (BigInt(before.pending_credits) + 150n).toString());
    const captured = await capture(hold.id, { amount: '150' });
    assert.equal(captured.body.type, 'withdrawal');
    assert.equal(captured.body.hold_id, hold.id);
    assert.deepEqual(await sums(source), { balance: '50', available_balance: '50', pending_debits: '0', pending_credits: '0' });
    assert.equal((await sums(settlement)).pending_credits, before.pending_credits);
  });

  test('a void releases the hold: 200 voided; capturing or voiding it again is hold_not_pending', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const hold = (await createHold({ source_account_id: source, destination_account_id: destination, amount: '100' })).body;
    const voided = await voidHold(hold.id);
    assert.equal(voided.status, 200, voided.raw);
    assert.equal(voided.body.status, 'voided');
    assert.equal(voided.body.captured_amount, '0');
    assert.deepEqual(await sums(source), { balance: '100', available_balance: '100', pending_debits: '0', pending_credits: '0' });
    assert.deepEqual(await sums(destination), { balance: '0', available_balance: '0', pending_debits: '0', pending_credits: '0' });
    const late = await capture(hold.id);
    assertProblem(late, 409, 'hold_not_pending');
    assert.equal(late.body.hold_status, 'voided');
    assert.equal((await voidHold(hold.id)).body.hold_status, 'voided');
    const events = await renderedEvents(api.database.pool, [hold.id]);
    assert.deepEqual(events.map((event) => event.eventType), ['hold.created', 'hold.voided']);
  });

  test('held money is not available: a transfer, a withdrawal or another hold that needs it is insufficient_funds', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'USD', 0n);
    await createHold({ source_account_id: source, destination_account_id: destination, amount: '70' });
    const transfer = await api.request('POST', '/v1/transactions/transfer', {
      body: { source_account_id: source, destination_account_id: destination, amount: '31' }, idempotencyKey: newKey(),
    });
    assertProblem(transfer, 422, 'insufficient_funds');
    assert.equal(transfer.body.available_balance, '30');
    const withdrawal = await api.request('POST', '/v1/transactions/withdraw', { body: { account_id: source, amount: '31' }, idempotencyKey: newKey() });
    assertProblem(withdrawal, 422, 'insufficient_funds');
    assertProblem(await createHold({ source_account_id: source, amount: '31' }), 422, 'insufficient_funds');
    const fits = await api.request('POST', '/v1/transactions/withdraw', { body: { account_id: source, amount: '30' }, idempotencyKey: newKey() });
    assert.equal(fits.status, 201);
    assert.deepEqual(await sums(source), { balance: '70', available_balance: '0', pending_debits: '70', pending_credits: '0' });
  });

  test('creating a hold is refused as a transfer would be, changing nothing', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const euros = await fundedAccount(api, 'EUR', 0n);
    assertProblem(await createHold({ source_account_id: UNKNOWN_ID, amount: '1' }), 404, 'account_not_found');
    const unknownDestination = await createHold({ source_account_id: source, destination_account_id: UNKNOWN_ID, amount: '1' });
    assertProblem(unknownDestination, 404, 'account_not_found');
    assert.equal(unknownDestination.body.field, 'destination_account_id');
    assertProblem(await createHold({ source_account_id: source, destination_account_id: settlementAccountId('USD'), amount: '1' }), 404, 'account_not_found');
    assertProblem(await createHold({ source_account_id: source, destination_account_id: source, amount: '1' }), 422, 'same_account');
    assertProblem(await createHold({ source_account_id: source, destination_account_id: euros, amount: '1' }), 422, 'currency_mismatch');
    assertProblem(await createHold({ source_account_id: source, amount: '1', currency: 'EUR' }), 422, 'currency_mismatch');
    assertProblem(await createHold({ source_account_id: source, amount: '101' }), 422, 'insufficient_funds');
    assert.deepEqual(await sums(source), { balance: '100', available_balance: '100', pending_debits: '0', pending_credits: '0' });
  });

  test('bad requests are validation errors naming the field; every write needs an Idempotency-Key', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const past = new Date(Date.now() - 1000).toISOString();
    assertInvalidFields(await createHold({ source_account_id: source, amount: '1', expires_at: past }), ['expires_at']);
    const beyond = new Date(Date.now() + 721 * 3_600_000).toISOString();
    assertInvalidFields(await createHold({ source_account_id: source, amount: '1', expires_at: beyond }), ['expires_at']);
    assertInvalidFields(await createHold({ source_account_id: source, amount: '1', expires_at: 'tomorrow' }), ['expires_at']);
    const leapSecond = `${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}T23:59:60Z`;
    assertInvalidFields(await createHold({ source_account_id: source, amount: '1', expires_at: leapSecond }), ['expires_at']);
    assertInvalidFields(await createHold({ source_account_id: source, amount: '0' }), ['amount']);
    assertInvalidFields(await createHold({ source_account_id: source, amount: '-5' }), ['amount']);
    assertInvalidFields(await createHold({ source_account_id: 'nope', amount: '5' }), ['source_account_id']);
    assertInvalidFields(await createHold({ source_account_id: source, amount: '5', surprise: true }), ['surprise']);
    const hold = (await createHold({ source_account_id: source, amount: '5' })).body;
    assertInvalidFields(await capture(hold.id, { amount: '1.5' }), ['amount']);
    assertProblem(await api.request('POST', '/v1/holds', { body: { source_account_id: source, amount: '1' } }), 400, 'idempotency_key_missing');
    assertProblem(await api.request('POST', `/v1/holds/${hold.id}/capture`), 400, 'idempotency_key_missing');
    assertProblem(await api.request('POST', `/v1/holds/${hold.id}/void`), 400, 'idempotency_key_missing');
    assertProblem(await capture(UNKNOWN_ID), 404, 'hold_not_found');
    assertProblem(await voidHold(UNKNOWN_ID), 404, 'hold_not_found');
    assertProblem(await api.request('GET', `/v1/holds/${UNKNOWN_ID}`), 404, 'hold_not_found');
    const tooMuch = await capture(hold.id, { amount: '6' });
    assertProblem(tooMuch, 422, 'capture_exceeds_hold');
    assert.equal(tooMuch.body.hold_amount, '5');
    assert.equal((await api.request('GET', `/v1/holds/${hold.id}`)).body.status, 'pending');
  });

  test('a repeated key replays the first answer byte for byte; the same key for another request is refused', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const createKey = newKey();
    const body = { source_account_id: source, destination_account_id: destination, amount: '10' };
    const first = await createHold(body, createKey);
    const replay = await createHold({ ...body, amount: 10 }, createKey);
    assert.equal(replay.raw, first.raw);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assertProblem(await createHold({ ...body, amount: '11' }, createKey), 422, 'idempotency_key_reused');
    assert.equal((await sums(source)).pending_debits, '10');

    const captureKey = newKey();
    const captured = await capture(first.body.id, { amount: '4' }, captureKey);
    const capturedAgain = await capture(first.body.id, { amount: '4' }, captureKey);
    assert.equal(capturedAgain.status, 201);
    assert.equal(capturedAgain.raw, captured.raw);
    assert.equal(capturedAgain.headers['idempotent-replayed'], 'true');
    // The hold is captured now; its creation's key still answers the pending hold it created.
    const createdAgain = await createHold(body, createKey);
    assert.equal(createdAgain.status, 201);
    assert.equal(createdAgain.raw, first.raw);

    const second = (await createHold(body)).body;
    const voidKey = newKey();
    const voided = await voidHold(second.id, voidKey);
    const voidedAgain = await voidHold(second.id, voidKey);
    assert.equal(voidedAgain.status, 200);
    assert.equal(voidedAgain.raw, voided.raw);
    assert.deepEqual(await sums(source), { balance: '96', available_balance: '96', pending_debits: '0', pending_credits: '0' });

    // A hold's answers are stored by the hold's id, rendered again from the hold and the change the
    // request made; a capture's by its transaction.
    const stored = async (key: string) => (await api.database.pool.query(
      'SELECT status_code, response_body, transaction_id, hold_id, posting_shape FROM idempotency_keys WHERE key = $1', [key])).rows[0];
    assert.deepEqual(await stored(createKey), { status_code: 201, response_body: null, transaction_id: null, hold_id: first.body.id, posting_shape: 2 });
    assert.deepEqual(await stored(voidKey), { status_code: 200, response_body: null, transaction_id: null, hold_id: second.id, posting_shape: 2 });
    assert.deepEqual(await stored(captureKey), { status_code: 201, response_body: null, transaction_id: captured.body.id, hold_id: null, posting_shape: 2 });
  });

  test("an account's holds are listed newest first, as source or destination, by status, a page at a time", async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      ids.push((await createHold({ source_account_id: source, destination_account_id: destination, amount: '1' })).body.id);
    }
    await voidHold(ids[1]!);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/accounts/${destination}/holds?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api.request('GET', url);
      assert.equal(page.status, 200, page.raw);
      seen.push(...page.body.data.map((hold: { id: string }) => hold.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    const voided = await api.request('GET', `/v1/accounts/${source}/holds?status=voided`);
    assert.deepEqual(voided.body.data.map((hold: { id: string }) => hold.id), [ids[1]]);
    assertInvalidFields(await api.request('GET', `/v1/accounts/${source}/holds?cursor=bogus`), ['cursor'], 'query');
    assertInvalidFields(await api.request('GET', `/v1/accounts/${source}/holds?status=open`), ['status'], 'query');
    assertProblem(await api.request('GET', `/v1/accounts/${UNKNOWN_ID}/holds`), 404, 'account_not_found');
  });

  test('a capture and a void of one hold, sent together many times, have exactly one winner each time', async () => {
    const source = await fundedAccount(api, 'USD', 1000n);
    const destination = await fundedAccount(api, 'USD', 0n);
    let captures = 0;
    for (let round = 0; round < 10; round++) {
      const hold = (await createHold({ source_account_id: source, destination_account_id: destination, amount: '10' })).body;
      const answers = await Promise.all([capture(hold.id), voidHold(hold.id), capture(hold.id), voidHold(hold.id)]);
      const won = answers.filter((answer) => answer.status < 300);
      assert.equal(won.length, 1, answers.map((answer) => answer.raw).join('\n'));
      for (const lost of answers.filter((answer) => answer.status >= 300)) assertProblem(lost, 409, 'hold_not_pending');
      if (won[0]!.status === 201) captures++;
    }
    assert.deepEqual(await sums(source), {
      balance: (1000 - 10 * captures).toString(), available_balance: (1000 - 10 * captures).toString(), pending_debits: '0', pending_credits: '0',
    });
  });
});
