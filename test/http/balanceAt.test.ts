// Proves GET /v1/accounts/{id}/balance?at=: the balance after the last entry at or before `at`
// (inclusive, to the microsecond, whatever offset `at` is written in), "0" and sequence 0 before the
// first entry, and a 400 naming the parameter for a missing or non-RFC 3339 `at` or an unknown
// parameter, a 404 for an unknown account.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { newKey, startTestService, type TestService } from '../support/service.js';
import { assertInvalidFields, assertProblem, JSON_CONTENT_TYPE, UNKNOWN_ID } from './helpers.js';

const HOUR_MS = 60 * 60 * 1000;
const START = Date.parse('2026-01-01T00:00:00.000Z');

class ManualClock implements Clock {
  private millis = START;
  now(): Date {
    return new Date(this.millis);
  }
  set(millis: number): void {
    this.millis = millis;
  }
}

const iso = (millis: number) => new Date(millis).toISOString();

describe('GET /v1/accounts/{id}/balance', () => {
  const clock = new ManualClock();
  let api: TestService;
  let account: string;
  const balanceAt = (at: string, id = account) => api.request('GET', `/v1/accounts/${id}/balance?at=${encodeURIComponent(at)}`);

  before(async () => {
    // A test clock cannot reach worker threads: the partitions commit on the main thread here.
    api = await startTestService({ PARTITION_MODE: 'inline' }, clock);
    account = (await api.request('POST', '/v1/accounts', { body: { currency: 'USD' } })).body.id;
    // +100 at 01:00, +50 at 02:00, -30 at 03:00.
    for (const [hour, verb, amount] of [[1, 'deposit', '100'], [2, 'deposit', '50'], [3, 'withdraw', '30']] as const) {
      clock.set(START + hour * HOUR_MS);
      const response = await api.request('POST', `/v1/transactions/${verb}`, { body: { account_id: account, amount }, idempotencyKey: newKey() });
      assert.equal(response.status, 201, response.raw);
    }
  });
  after(() => api.close());

  test('before the first entry the balance is "0" at sequence 0', async () => {
    const at = iso(START + HOUR_MS / 2);
    const response = await balanceAt(at);
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], JSON_CONTENT_TYPE);
    assert.deepEqual(response.body, { balance: '0', sequence: 0, at });
  });

  test('an entry made exactly at `at` counts; a microsecond earlier it does not', async () => {
    assert.deepEqual((await balanceAt(iso(START + HOUR_MS))).body, { balance: '100', sequence: 1, at: iso(START + HOUR_MS) });
    const justBefore = '2026-01-01T00:59:59.999999Z';
    assert.deepEqual((await balanceAt(justBefore)).body, { balance: '0', sequence: 0, at: justBefore });
  });

  test('between entries, and after the last, the balance is the last entry\'s balance_after', async () => {
    assert.deepEqual((await balanceAt('2026-01-01T02:30:00Z')).body, { balance: '150', sequence: 2, at: '2026-01-01T02:30:00Z' });
    assert.deepEqual((await balanceAt('2099-12-31T23:59:59Z')).body, { balance: '120', sequence: 3, at: '2099-12-31T23:59:59Z' });
  });

  test('`at` is read with its offset: 04:30+02:00 is 02:30Z', async () => {
    const response = await balanceAt('2026-01-01T04:30:00+02:00');
    assert.deepEqual(response.body, { balance: '150', sequence: 2, at: '2026-01-01T04:30:00+02:00' });
  });

  test('a missing `at` is 400 naming at', async () => {
    assertInvalidFields(await api.request('GET', `/v1/accounts/${account}/balance`), ['at'], 'query');
  });

  test('an `at` that is not an RFC 3339 date-time with an offset is 400 naming at', async () => {
    for (const at of ['', 'yesterday', '2026-01-01', '2026-01-01T00:00:00', '2026-02-30T00:00:00Z', '2026-01-01T25:00:00Z',
      '0000-01-01T00:00:00Z', '1735689600', '2026-01-01T00:00:00+2400', `2026-01-01T00:00:00.${'1'.repeat(60)}Z`]) {
      assertInvalidFields(await balanceAt(at), ['at'], 'query');
    }
  });

  test('`at` given twice is 400 naming at', async () => {
    const response = await api.request('GET', `/v1/accounts/${account}/balance?at=2026-01-01T00:00:00Z&at=2026-01-02T00:00:00Z`);
    assertInvalidFields(response, ['at'], 'query');
  });

  test('an unknown query parameter is 400 naming it', async () => {
    const response = await api.request('GET', `/v1/accounts/${account}/balance?at=2026-01-01T00:00:00Z&sequence=2`);
    assertInvalidFields(response, ['sequence'], 'query');
  });

  test('an unknown account is 404 account_not_found; an id that is no UUID is 400 naming id', async () => {
    assertProblem(await balanceAt('2026-01-01T00:00:00Z', UNKNOWN_ID), 404, 'account_not_found');
    assertInvalidFields(await balanceAt('2026-01-01T00:00:00Z', 'not-a-uuid'), ['id'], 'path');
  });
});
