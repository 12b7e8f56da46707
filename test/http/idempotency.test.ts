// Proves Idempotency-Key semantics end to end: replays are byte-identical and change nothing,
// equivalent spellings of the body and of the path count as one request, reuse for another request
// is 422, stored 404/422 outcomes replay, 400s are not stored, and expired keys execute again and
// are purged.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { purgeExpiredKeys } from '../../src/ledger/idempotencyPurge.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { assertInvalidFields, assertProblem, UNKNOWN_ID } from './helpers.js';

const HOUR_MS = 60 * 60 * 1000;

/** A clock the test moves by hand. */
class ManualClock implements Clock {
  private current = new Date('2026-01-01T00:00:00.000Z').getTime();
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

async function ledgerCounts(api: TestService) {
  const { rows } = await api.database.pool.query(`SELECT
      (SELECT count(*)::int FROM ledger_transactions) AS transactions,
      (SELECT count(*)::int FROM ledger_entries) AS entries,
      (SELECT count(*)::int FROM accounts) AS accounts,
      (SELECT count(*)::int FROM outbox) AS events,
      (SELECT count(*)::int FROM idempotency_keys) AS keys`);
  return rows[0];
}

describe('idempotency', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  test('the same key and request replays the stored body byte for byte and changes nothing', async () => {
    const account = await fundedAccount(api, 'USD', 0n);
    const key = newKey();
    const body = { account_id: account, amount: '1050', metadata: { b: 2, a: 1 } };
    const first = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
    assert.equal(first.status, 201);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const counts = await ledgerCounts(api);
    for (let attempt = 0; attempt < 3; attempt++) {
      const again = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
      assert.equal(again.status, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.raw, first.raw);
    }
    assert.deepEqual(await ledgerCounts(api), counts);
    const read = await api.request('GET', `/v1/accounts/${account}`);
    assert.equal(read.body.balance, '1050');
  });

  test('text that needs escaping is stored, replayed and published exactly as it was sent', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const tricky = 'quote " backslash \\ {"json":"inside"} \\u0041 tab\t line\n sep\u2028 😀 e\u0301 \u10ffff';
    const metadata = { [tricky]: [tricky, { nested: tricky }], plain: 1 };
    const body = { source_account_id: source, destination_account_id: destination, amount: '7', description: tricky, metadata };
    const key = newKey();
    const first = await api.request('POST', '/v1/transactions/transfer', { body, idempotencyKey: key });
    assert.equal(first.status, 201);
    assert.equal(first.body.description, tricky);
    assert.deepEqual(first.body.metadata, metadata);
    const again = await api.request('POST', '/v1/transactions/transfer', { body, idempotencyKey: key });
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.raw, first.raw);
    const read = await api.request('GET', `/v1/transactions/${first.body.id}`);
    assert.deepEqual(read.body, first.body);
    const events = await renderedEvents(api.database.pool, [first.body.id]);
    assert.equal(events.length, 1);
    assert.equal(JSON.stringify(events[0]!.envelope.data), first.raw, 'the event carries the body byte for byte');
  });

  test('metadata in any key order and number spelling: the answer, its replay and a GET are the same bytes', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'USD', 0n);
    // Sent as text: key order and spellings as a client might write them, not as JavaScript would.
    const metadata = '{"zeta":1e21,"b":[{"y":0.10,"x":-0}],"10":"ten","2":"two","é":1.5E-7,"ab":{"long_key":true,"k":null},"":"empty"}';
    const payload = `{"source_account_id":"${source}","destination_account_id":"${destination}","amount":"3","metadata":${metadata}}`;
    const key = newKey();
    const first = await api.request('POST', '/v1/transactions/transfer', { body: payload, idempotencyKey: key });
    assert.equal(first.status, 201);
    assert.deepEqual(first.body.metadata, JSON.parse(metadata.replace('-0', '0')), 'the same values (JSON has no negative zero)');
    const again = await api.request('POST', '/v1/transactions/transfer', { body: payload, idempotencyKey: key });
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.raw, first.raw);
    const read = await api.request('GET', `/v1/transactions/${first.body.id}`);
    assert.equal(read.raw, first.raw);
    const events = await renderedEvents(api.database.pool, [first.body.id]);
    assert.equal(JSON.stringify(events[0]!.envelope.data), first.raw);
  });

  test('amount 1050 and "1050", and reordered fields, are the same request', async () => {
    const account = await fundedAccount(api, 'USD', 0n);
    const key = newKey();
    const first = await api.request('POST', '/v1/transactions/deposit', {
      body: { account_id: account, amount: 1050, description: 'x' },
      idempotencyKey: key,
    });
    assert.equal(first.status, 201);
    const second = await api.request('POST', '/v1/transactions/deposit', {
      body: { description: 'x', amount: '1050', account_id: account },
      idempotencyKey: key,
    });
    assert.equal(second.status, 201);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.raw, first.raw);
    assert.equal((await api.request('GET', `/v1/accounts/${account}`)).body.balance, '1050');
  });

  test('the same key with a different body is 422 idempotency_key_reused and changes nothing', async () => {
    const account = await fundedAccount(api, 'USD', 0n);
    const key = newKey();
    const first = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '10' }, idempotencyKey: key });
    assert.equal(first.status, 201);
    const counts = await ledgerCounts(api);
    const reused = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '11' }, idempotencyKey: key });
    assertProblem(reused, 422, 'idempotency_key_reused');
    assert.equal(reused.headers['idempotent-replayed'], undefined);
    assert.deepEqual(await ledgerCounts(api), counts);
    // The original request still replays after the conflict.
    const replay = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '10' }, idempotencyKey: key });
    assert.equal(replay.raw, first.raw);
  });

  test('the same key on a different path is 422 idempotency_key_reused', async () => {
    const account = await fundedAccount(api, 'USD', 100n);
    const key = newKey();
    const body = { account_id: account, amount: '10' };
    const deposit = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
    assert.equal(deposit.status, 201);
    const withdraw = await api.request('POST', '/v1/transactions/withdraw', { body, idempotencyKey: key });
    assertProblem(withdraw, 422, 'idempotency_key_reused');
    assert.equal((await api.request('GET', `/v1/accounts/${account}`)).body.balance, '110');
  });

  test('a percent-encoded spelling of the same path is the same request: it replays, not 422', async () => {
    const account = await fundedAccount(api, 'USD', 0n);
    const key = newKey();
    const body = { account_id: account, amount: '10' };
    const first = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
    assert.equal(first.status, 201);
    for (const path of ['/v1/transactions/deposi%74', '/v1/%74ransactions/deposit', '/v1/transactions/deposit?x=1']) {
      const again = await api.request('POST', path, { body, idempotencyKey: key });
      assert.equal(again.status, 201, `${path}: ${again.raw}`);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.raw, first.raw);
    }
    // Sent first under the encoded spelling, the plain one replays it just the same.
    const otherKey = newKey();
    const encoded = await api.request('POST', '/v1/transactions/deposi%74', { body, idempotencyKey: otherKey });
    assert.equal(encoded.status, 201);
    const plain = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: otherKey });
    assert.equal(plain.headers['idempotent-replayed'], 'true');
    assert.equal(plain.raw, encoded.raw);
    assert.equal((await api.request('GET', `/v1/accounts/${account}`)).body.balance, '20');
  });

  test('a stored 404 replays, even after the cause is gone', async () => {
    const key = newKey();
    const body = { account_id: UNKNOWN_ID, amount: '10' };
    const first = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
    assertProblem(first, 404, 'account_not_found');
    const again = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
    assertProblem(again, 404, 'account_not_found');
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.raw, first.raw);
  });

  test('a stored 422 replays even after the account is funded: the first outcome stands', async () => {
    const account = await fundedAccount(api, 'USD', 5n);
    const key = newKey();
    const body = { account_id: account, amount: '10' };
    const first = await api.request('POST', '/v1/transactions/withdraw', { body, idempotencyKey: key });
    assertProblem(first, 422, 'insufficient_funds');
    await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '100' }, idempotencyKey: newKey() });
    const again = await api.request('POST', '/v1/transactions/withdraw', { body, idempotencyKey: key });
    assertProblem(again, 422, 'insufficient_funds');
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.raw, first.raw);
    assert.equal((await api.request('GET', `/v1/accounts/${account}`)).body.balance, '105');
  });

  test('a 400 is not stored: fixing the body and retrying with the same key succeeds', async () => {
    const account = await fundedAccount(api, 'USD', 0n);
    const key = newKey();
    const bad = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '01' }, idempotencyKey: key });
    assertInvalidFields(bad, ['amount']);
    const { rows } = await api.database.pool.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1`, [key]);
    assert.equal(rows[0].n, 0);
    const fixed = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '1' }, idempotencyKey: key });
    assert.equal(fixed.status, 201);
    assert.equal(fixed.headers['idempotent-replayed'], undefined);
  });

  test('a 409 external_ref_taken on account creation is stored and replays', async () => {
    await api.request('POST', '/v1/accounts', { body: { currency: 'USD', external_ref: 'idem-ref' } });
    const key = newKey();
    const first = await api.request('POST', '/v1/accounts', { body: { currency: 'USD', external_ref: 'idem-ref' }, idempotencyKey: key });
    assertProblem(first, 409, 'external_ref_taken');
    const again = await api.request('POST', '/v1/accounts', { body: { currency: 'USD', external_ref: 'idem-ref' }, idempotencyKey: key });
    assert.equal(again.status, 409);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.raw, first.raw);
  });

  test('writes without Idempotency-Key are 400 idempotency_key_missing', async () => {
    const account = await fundedAccount(api, 'USD', 100n);
    const other = await fundedAccount(api, 'USD', 0n);
    for (const [path, body] of [
      ['/v1/transactions/deposit', { account_id: account, amount: '1' }],
      ['/v1/transactions/withdraw', { account_id: account, amount: '1' }],
      ['/v1/transactions/transfer', { source_account_id: account, destination_account_id: other, amount: '1' }],
    ] as const) {
      const response = await api.request('POST', path, { body });
      assertProblem(response, 400, 'idempotency_key_missing');
    }
    assert.equal((await api.request('GET', `/v1/accounts/${account}`)).body.balance, '100');
  });

  test('a key that is empty, longer than 255 characters or not printable ASCII is 400 naming Idempotency-Key', async () => {
    const account = await fundedAccount(api, 'USD', 0n);
    for (const key of ['', 'k'.repeat(256), 'tab\there', 'caf\u00e9']) {
      const response = await api.request('POST', '/v1/transactions/deposit', {
        body: { account_id: account, amount: '1' },
        headers: { 'idempotency-key': key },
      });
      assertInvalidFields(response, ['Idempotency-Key'], 'header');
    }
    const longest = await api.request('POST', '/v1/transactions/deposit', {
      body: { account_id: account, amount: '1' },
      idempotencyKey: ` ~${'k'.repeat(253)}`,
    });
    assert.equal(longest.status, 201);
  });
});

describe('idempotency key expiry', () => {
  const clock = new ManualClock();
  let api: TestService;
  before(async () => {
    // A test clock cannot reach worker threads: the partitions commit on the main thread here.
    api = await startTestService({ IDEMPOTENCY_TTL_HOURS: '2', PARTITION_MODE: 'inline' }, clock);
  });
  after(() => api.close());

  test('a key replays before its TTL, executes again after it, and the purge deletes only expired keys', async () => {
    const account = await fundedAccount(api, 'USD', 0n);
    const key = newKey();
    const body = { account_id: account, amount: '10' };
    const first = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
    assert.equal(first.status, 201);
    const stored = await api.database.pool.query(`SELECT created_at, expires_at FROM idempotency_keys WHERE key = $1`, [key]);
    assert.equal(stored.rows[0].expires_at.getTime() - stored.rows[0].created_at.getTime(), 2 * HOUR_MS);

    clock.advance(2 * HOUR_MS - 1000);
    const replay = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.raw, first.raw);
    assert.equal(await purgeExpiredKeys(api.database.pool, clock.now()), 0);

    clock.advance(1000);
    const again = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
    assert.equal(again.status, 201);
    assert.equal(again.headers['idempotent-replayed'], undefined);
    assert.notEqual(again.body.id, first.body.id);
    assert.equal((await api.request('GET', `/v1/accounts/${account}`)).body.balance, '20');

    // The re-executed request stored a fresh outcome under the key: it replays now.
    const replayOfSecond = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
    assert.equal(replayOfSecond.raw, again.raw);

    const otherKey = newKey();
    const other = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: otherKey });
    assert.equal(other.status, 201);
    const keysBefore = await api.database.pool.query(`SELECT key FROM idempotency_keys ORDER BY key`);
    clock.advance(2 * HOUR_MS);
    const purged = await purgeExpiredKeys(api.database.pool, clock.now());
    assert.equal(purged, keysBefore.rows.length);
    const left = await api.database.pool.query(`SELECT count(*)::int AS n FROM idempotency_keys`);
    assert.equal(left.rows[0].n, 0);
  });

  test('the purge leaves keys that have not expired', async () => {
    const account = await fundedAccount(api, 'EUR', 0n);
    const key = newKey();
    await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '1' }, idempotencyKey: key });
    clock.advance(HOUR_MS);
    assert.equal(await purgeExpiredKeys(api.database.pool, clock.now()), 0);
    const { rows } = await api.database.pool.query(`SELECT key FROM idempotency_keys`);
    assert.deepEqual(rows, [{ key }]);
  });
});
