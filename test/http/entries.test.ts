// Proves GET /v1/accounts/{id}/entries: newest first, keyset pagination whose pages join into the
// whole history without gaps or repeats, the default and bounds of limit, and bad cursors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { assertInvalidFields, assertProblem, JSON_CONTENT_TYPE, UNKNOWN_ID } from './helpers.js';

const DEPOSITS = 60;

describe('GET /v1/accounts/{id}/entries', () => {
  let api: TestService;
  let account: string;
  before(async () => {
    api = await startTestService();
    account = await fundedAccount(api, 'USD', 0n);
    // Deposits of 1, 2, 3 ... so each entry's amount names its sequence.
    for (let amount = 1; amount <= DEPOSITS; amount++) {
      const response = await api.request('POST', '/v1/transactions/deposit', {
        body: { account_id: account, amount },
        idempotencyKey: newKey(),
      });
      assert.equal(response.status, 201);
    }
  });
  after(() => api.close());

  test('the default page holds the 50 newest entries, newest first, with a cursor', async () => {
    const response = await api.request('GET', `/v1/accounts/${account}/entries`);
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], JSON_CONTENT_TYPE);
    assert.deepEqual(Object.keys(response.body).sort(), ['data', 'next_cursor']);
    assert.equal(response.body.data.length, 50);
    assert.deepEqual(
      response.body.data.map((entry: { sequence: number }) => entry.sequence),
      Array.from({ length: 50 }, (_, index) => DEPOSITS - index),
    );
    const newest = response.body.data[0];
    assert.equal(newest.account_id, account);
    assert.equal(newest.direction, 'credit');
    assert.equal(newest.amount, String(DEPOSITS));
    assert.equal(newest.balance_after, String((DEPOSITS * (DEPOSITS + 1)) / 2));
    assert.deepEqual(Object.keys(newest).sort(), [
      'account_id', 'amount', 'balance_after', 'created_at', 'direction', 'id', 'sequence', 'transaction_id',
    ]);
    assert.equal(typeof response.body.next_cursor, 'string');
  });

  test('pages of 7 walk the whole history once, and the last page has next_cursor null', async () => {
    const sequences: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `limit=7&cursor=${encodeURIComponent(cursor)}` : 'limit=7';
      const response = await api.request('GET', `/v1/accounts/${account}/entries?${query}`);
      assert.equal(response.status, 200);
      assert.ok(response.body.data.length <= 7);
      sequences.push(...response.body.data.map((entry: { sequence: number }) => entry.sequence));
      cursor = response.body.next_cursor;
      pages += 1;
    } while (cursor !== null);
    assert.equal(pages, Math.ceil(DEPOSITS / 7));
    assert.deepEqual(sequences, Array.from({ length: DEPOSITS }, (_, index) => DEPOSITS - index));
  });

  test('a page that ends exactly at the oldest entry has next_cursor null', async () => {
    const response = await api.request('GET', `/v1/accounts/${account}/entries?limit=${DEPOSITS}`);
    assert.equal(response.body.data.length, DEPOSITS);
    assert.equal(response.body.next_cursor, null);
  });

  test('limit 1 and limit 500 are accepted', async () => {
    const one = await api.request('GET', `/v1/accounts/${account}/entries?limit=1`);
    assert.equal(one.status, 200);
    assert.equal(one.body.data.length, 1);
    assert.equal(one.body.data[0].sequence, DEPOSITS);
    const most = await api.request('GET', `/v1/accounts/${account}/entries?limit=500`);
    assert.equal(most.status, 200);
    assert.equal(most.body.data.length, DEPOSITS);
    assert.equal(most.body.next_cursor, null);
  });

  test('limit outside 1..500 or not an integer is 400 naming limit', async () => {
    for (const limit of ['0', '501', '-1', 'abc', '2.5']) {
      const response = await api.request('GET', `/v1/accounts/${account}/entries?limit=${limit}`);
      assertInvalidFields(response, ['limit'], 'query');
    }
  });

  test('a cursor this API did not return is 400 naming cursor', async () => {
    const forged = [
      'not-a-cursor',
      Buffer.from('seq:0').toString('base64url'),
      Buffer.from('seq:-5').toString('base64url'),
      Buffer.from('offset:10').toString('base64url'),
      'x'.repeat(101),
    ];
    for (const cursor of forged) {
      const response = await api.request('GET', `/v1/accounts/${account}/entries?cursor=${cursor}`);
      assertInvalidFields(response, ['cursor'], 'query');
    }
  });

  test('an unknown query parameter is 400 naming it', async () => {
    const response = await api.request('GET', `/v1/accounts/${account}/entries?offset=5`);
    assertInvalidFields(response, ['offset'], 'query');
  });

  test('an account without entries has an empty page', async () => {
    const empty = await fundedAccount(api, 'EUR', 0n);
    const response = await api.request('GET', `/v1/accounts/${empty}/entries`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { data: [], next_cursor: null });
  });

  test('entries of an unknown account is 404 account_not_found', async () => {
    const response = await api.request('GET', `/v1/accounts/${UNKNOWN_ID}/entries`);
    assertProblem(response, 404, 'account_not_found');
  });
});
