// Proves the `from` and `to` filters of GET /v1/accounts/{id}/entries: the window is [from, to)
// (from inclusive, to exclusive, to the microsecond, either end open), it pages with the cursor, and
// a bad `from` or `to`, or `from` after `to`, is a 400 naming the field.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { newKey, startTestService, type TestService } from '../support/service.js';
import { assertInvalidFields } from './helpers.js';

const HOUR_MS = 60 * 60 * 1000;
const START = Date.parse('2026-03-01T00:00:00.000Z');
const HOURS = 10;

class ManualClock implements Clock {
  private millis = START;
  now(): Date {
    return new Date(this.millis);
  }
  set(millis: number): void {
    this.millis = millis;
  }
}

const at = (hour: number) => new Date(START + hour * HOUR_MS).toISOString();

describe('GET /v1/accounts/{id}/entries?from=&to=', () => {
  const clock = new ManualClock();
  let api: TestService;
  let account: string;
  const sequences = async (query: string): Promise<number[]> => {
    const response = await api.request('GET', `/v1/accounts/${account}/entries?${query}`);
    assert.equal(response.status, 200, response.raw);
    return response.body.data.map((entry: { sequence: number }) => entry.sequence);
  };

  before(async () => {
    api = await startTestService({ PARTITION_MODE: 'inline' }, clock);
    account = (await api.request('POST', '/v1/accounts', { body: { currency: 'USD' } })).body.id;
    // One deposit per hour, 01:00 ... 10:00: entry n is made at hour n.
    for (let hour = 1; hour <= HOURS; hour++) {
      clock.set(START + hour * HOUR_MS);
      const response = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: hour }, idempotencyKey: newKey() });
      assert.equal(response.status, 201, response.raw);
    }
  });
  after(() => api.close());

  test('from is inclusive and to exclusive', async () => {
    assert.deepEqual(await sequences(`from=${at(3)}&to=${at(6)}`), [5, 4, 3]);
  });

  test('either end may be open', async () => {
    assert.deepEqual(await sequences(`from=${at(8)}`), [10, 9, 8]);
    assert.deepEqual(await sequences(`to=${at(3)}`), [2, 1]);
  });

  test('the ends are read to the microsecond and with their offset', async () => {
    assert.deepEqual(await sequences(`from=${encodeURIComponent('2026-03-01T02:59:59.999999Z')}&to=${encodeURIComponent('2026-03-01T03:00:00.000001Z')}`), [3]);
    assert.deepEqual(await sequences(`from=${encodeURIComponent('2026-03-01T05:00:00+02:00')}&to=${encodeURIComponent('2026-03-01T06:00:00+02:00')}`), [3]);
  });

  test('from equal to to is an empty window, not an error', async () => {
    assert.deepEqual(await sequences(`from=${at(3)}&to=${at(3)}`), []);
  });

  test('a window pages with the cursor, within the window', async () => {
    const first = await api.request('GET', `/v1/accounts/${account}/entries?limit=2&from=${at(2)}&to=${at(7)}`);
    assert.deepEqual(first.body.data.map((entry: { sequence: number }) => entry.sequence), [6, 5]);
    const cursor = encodeURIComponent(first.body.next_cursor);
    assert.deepEqual(await sequences(`limit=2&from=${at(2)}&to=${at(7)}&cursor=${cursor}`), [4, 3]);
    const last = await api.request('GET', `/v1/accounts/${account}/entries?limit=2&from=${at(2)}&to=${at(7)}&cursor=${cursor}`);
    const third = await api.request('GET', `/v1/accounts/${account}/entries?limit=2&from=${at(2)}&to=${at(7)}&cursor=${encodeURIComponent(last.body.next_cursor)}`);
    assert.deepEqual(third.body, { data: [third.body.data[0]], next_cursor: null });
    assert.equal(third.body.data[0].sequence, 2);
  });

  test('from after to is 400 naming from', async () => {
    const response = await api.request('GET', `/v1/accounts/${account}/entries?from=${at(5)}&to=${at(4)}`);
    assertInvalidFields(response, ['from'], 'query');
    const byAMicrosecond = await api.request('GET', `/v1/accounts/${account}/entries?from=${encodeURIComponent('2026-03-01T00:00:00.000001Z')}&to=${encodeURIComponent('2026-03-01T00:00:00Z')}`);
    assertInvalidFields(byAMicrosecond, ['from'], 'query');
  });

  test('a from or to that is not an RFC 3339 date-time is 400 naming it', async () => {
    for (const bad of ['yesterday', '2026-03-01', '2026-03-01T00:00:00', '0000-01-01T00:00:00Z', '2026-13-01T00:00:00Z']) {
      assertInvalidFields(await api.request('GET', `/v1/accounts/${account}/entries?from=${encodeURIComponent(bad)}`), ['from'], 'query');
      assertInvalidFields(await api.request('GET', `/v1/accounts/${account}/entries?to=${encodeURIComponent(bad)}`), ['to'], 'query');
    }
    const both = await api.request('GET', `/v1/accounts/${account}/entries?from=x&to=y`);
    assertInvalidFields(both, ['from', 'to'], 'query');
  });
});
