// Proves GET /v1/transactions: filters by account (either side), type, a [from, to) window and
// metadata[key]=value, combined with AND, newest first, each item the transaction as GET
// /v1/transactions/{id} answers it; cursors that walk every match once and refuse other filters;
// and a 400 naming the parameter for every bad or unknown one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { newKey, startTestService, type TestService } from '../support/service.js';
import { assertInvalidFields, UNKNOWN_ID } from './helpers.js';

const HOUR_MS = 60 * 60 * 1000;
const START = Date.parse('2026-05-01T00:00:00.000Z');

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

describe('GET /v1/transactions', () => {
  const clock = new ManualClock();
  let api: TestService;
  const account: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
  /** Transaction ids by the hour they were made at. */
  const made: Record<number, string> = {};
  const ids = async (query: string): Promise<string[]> => {
    const response = await api.request('GET', `/v1/transactions?${query}`);
    assert.equal(response.status, 200, response.raw);
    return response.body.data.map((transaction: { id: string }) => transaction.id);
  };
  const madeAt = (...hours: number[]) => hours.map((hour) => made[hour]!);

  before(async () => {
    api = await startTestService({ PARTITION_MODE: 'inline' }, clock);
    for (const name of ['a', 'b', 'c'] as const) account[name] = (await api.request('POST', '/v1/accounts', { body: { currency: 'USD' } })).body.id;
    const post = async (hour: number, path: string, body: object) => {
      clock.set(START + hour * HOUR_MS);
      const response = await api.request('POST', path, { body, idempotencyKey: newKey() });
      assert.equal(response.status, 201, response.raw);
      made[hour] = response.body.id;
    };
    await post(1, '/v1/transactions/deposit', { account_id: account.a, amount: '1000', metadata: { order: 'o1', channel: 'web' } });
    await post(2, '/v1/transactions/deposit', { account_id: account.b, amount: '500' });
    await post(3, '/v1/transactions/transfer', { source_account_id: account.a, destination_account_id: account.b, amount: '100', metadata: { order: 'o2', channel: 'web' } });
    await post(4, '/v1/transactions/withdraw', { account_id: account.b, amount: '50', metadata: { channel: 'app' } });
    await post(5, '/v1/transactions/transfer', { source_account_id: account.b, destination_account_id: account.c, amount: '10' });
    await post(6, `/v1/transactions/${made[3]}/reverse`, {});
  });
  after(() => api.close());

  test('without filters every transaction, newest first, each as GET /v1/transactions/{id} answers it', async () => {
    const response = await api.request('GET', '/v1/transactions');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data.map((transaction: { id: string }) => transaction.id), madeAt(6, 5, 4, 3, 2, 1));
    assert.equal(response.body.next_cursor, null);
    for (const listed of response.body.data) assert.deepEqual(listed, (await api.request('GET', `/v1/transactions/${listed.id}`)).body);
    assert.equal(response.body.data[3].reversed_amount, '100');
  });

  test('account_id matches either side, in either spelling', async () => {
    assert.deepEqual(await ids(`account_id=${account.a}`), madeAt(6, 3, 1));
    assert.deepEqual(await ids(`account_id=${account.b.toUpperCase()}`), madeAt(6, 5, 4, 3, 2));
    assert.deepEqual(await ids(`account_id=${account.c}`), madeAt(5));
  });

  test('an unknown account_id is an empty list', async () => {
    assert.deepEqual(await ids(`account_id=${UNKNOWN_ID}`), []);
  });

  test('type filters; multi_leg is accepted and matches nothing yet', async () => {
    assert.deepEqual(await ids('type=transfer'), madeAt(5, 3));
    assert.deepEqual(await ids('type=reversal'), madeAt(6));
    assert.deepEqual(await ids('type=deposit'), madeAt(2, 1));
    assert.deepEqual(await ids('type=multi_leg'), []);
  });

  test('from is inclusive and to exclusive; either may be left open; equal ends are empty', async () => {
    assert.deepEqual(await ids(`from=${at(2)}&to=${at(5)}`), madeAt(4, 3, 2));
    assert.deepEqual(await ids(`from=${at(5)}`), madeAt(6, 5));
    assert.deepEqual(await ids(`to=${at(2)}`), madeAt(1));
    assert.deepEqual(await ids(`from=${at(2)}&to=${at(2)}`), []);
  });

  test('metadata filters combine with AND', async () => {
    assert.deepEqual(await ids('metadata[channel]=web'), madeAt(3, 1));
    assert.deepEqual(await ids('metadata[channel]=web&metadata[order]=o2'), madeAt(3));
    assert.deepEqual(await ids('metadata[channel]=web&metadata[order]=o3'), []);
  });

  test('all filters combine with AND', async () => {
    assert.deepEqual(await ids(`account_id=${account.b}&type=transfer&from=${at(4)}`), madeAt(5));
    assert.deepEqual(await ids(`account_id=${account.a}&metadata[channel]=web&to=${at(3)}`), madeAt(1));
  });

  test('pages of 2 walk every match once, with and without an account or a window', async () => {
    for (const [filters, expected] of [
      ['', madeAt(6, 5, 4, 3, 2, 1)],
      [`account_id=${account.b}&`, madeAt(6, 5, 4, 3, 2)],
      [`from=${at(2)}&to=${at(5)}&`, madeAt(4, 3, 2)],
      [`account_id=${account.b}&to=${at(6)}&`, madeAt(5, 4, 3, 2)],
    ] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await api.request('GET', `/v1/transactions?${filters}limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(response.status, 200, response.raw);
        seen.push(...response.body.data.map((transaction: { id: string }) => transaction.id));
        cursor = response.body.next_cursor;
      } while (cursor !== null);
      assert.deepEqual(seen, expected);
    }
  });

  test('a cursor is bound to its filters: another account, type or window is 400 naming cursor', async () => {
    const first = await api.request('GET', `/v1/transactions?account_id=${account.b.toUpperCase()}&limit=1`);
    const cursor = encodeURIComponent(first.body.next_cursor);
    assert.equal((await api.request('GET', `/v1/transactions?account_id=${account.b}&limit=1&cursor=${cursor}`)).status, 200);
    for (const other of [`account_id=${account.a}`, `account_id=${account.b}&type=transfer`, `account_id=${account.b}&from=${at(0)}`, '']) {
      assertInvalidFields(await api.request('GET', `/v1/transactions?${other}&limit=1&cursor=${cursor}`), ['cursor'], 'query');
    }
    for (const bad of ['garbage', Buffer.from('a|b|c|d').toString('base64url')]) {
      assertInvalidFields(await api.request('GET', `/v1/transactions?cursor=${bad}`), ['cursor'], 'query');
    }
  });

  test('from after to is 400 naming from', async () => {
    assertInvalidFields(await api.request('GET', `/v1/transactions?from=${at(3)}&to=${at(2)}`), ['from'], 'query');
  });

  test('bad account_id, type, from, to and limit are 400 naming each', async () => {
    assertInvalidFields(await api.request('GET', '/v1/transactions?account_id=42'), ['account_id'], 'query');
    assertInvalidFields(await api.request('GET', '/v1/transactions?type=refund'), ['type'], 'query');
    assertInvalidFields(await api.request('GET', '/v1/transactions?from=2026-05-01&to=noon'), ['from', 'to'], 'query');
    assertInvalidFields(await api.request('GET', '/v1/transactions?type=transfer&type=deposit'), ['type'], 'query');
    for (const limit of ['0', '501', 'x']) assertInvalidFields(await api.request('GET', `/v1/transactions?limit=${limit}`), ['limit'], 'query');
  });

  test('an unknown parameter is 400 naming it; so are metadata without a key and a repeated metadata filter', async () => {
    assertInvalidFields(await api.request('GET', '/v1/transactions?status=posted'), ['status'], 'query');
    assertInvalidFields(await api.request('GET', '/v1/transactions?metadata[]=x'), ['metadata[]'], 'query');
    assertInvalidFields(await api.request('GET', '/v1/transactions?metadata[a]=x&metadata[a]=y'), ['metadata[a]'], 'query');
    const tooMany = Array.from({ length: 11 }, (_, index) => `metadata[k${index}]=v`).join('&');
    assertInvalidFields(await api.request('GET', `/v1/transactions?${tooMany}`), ['metadata'], 'query');
  });
});
