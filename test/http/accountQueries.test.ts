// Proves GET /v1/accounts: filters by currency, status, external_ref and metadata[key]=value
// (several combine with AND, values compare as strings), newest first, cursors that walk every
// match once and refuse to be edited or reused with other filters, and a 400 naming the parameter
// for every bad or unknown one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../support/service.js';
import { assertInvalidFields, JSON_CONTENT_TYPE } from './helpers.js';

const RUN = `run-${process.pid}`;

describe('GET /v1/accounts', () => {
  let api: TestService;
  /** Opened in this order, so newest first is the reverse. */
  const opened: Array<{ id: string; currency: string; external_ref?: string; metadata: Record<string, unknown> }> = [];
  const list = async (query: string) => {
    const response = await api.request('GET', `/v1/accounts?${query}`);
    assert.equal(response.status, 200, response.raw);
    return response;
  };
  const ids = async (query: string) => (await list(query)).body.data.map((account: { id: string }) => account.id);
  const idsOf = (keep: (account: (typeof opened)[number]) => boolean) => opened.filter(keep).map((account) => account.id).reverse();

  before(async () => {
    api = await startTestService();
    const specs = [
      { currency: 'USD', metadata: { run: RUN, tier: 'gold', region: 'eu' } },
      { currency: 'EUR', metadata: { run: RUN, tier: 'gold', region: 'us' } },
      { currency: 'USD', external_ref: `${RUN}-ref-3`, metadata: { run: RUN, tier: 'silver', region: 'eu' } },
      { currency: 'USD', metadata: { run: RUN, tier: 5, 'a.b c': 'x&y' } },
      { currency: 'GBP', metadata: { run: RUN, tier: 'gold', region: 'eu', nested: { deep: true } } },
    ];
    for (const spec of specs) {
      const response = await api.request('POST', '/v1/accounts', { body: spec });
      assert.equal(response.status, 201, response.raw);
      opened.push({ ...spec, id: response.body.id });
    }
  });
  after(() => api.close());

  test('metadata[run] lists this run\'s accounts, newest first, as the account resource', async () => {
    const response = await list(`metadata[run]=${RUN}`);
    assert.equal(response.headers['content-type'], JSON_CONTENT_TYPE);
    assert.deepEqual(response.body.data.map((account: { id: string }) => account.id), idsOf(() => true));
    assert.equal(response.body.next_cursor, null);
    const read = await api.request('GET', `/v1/accounts/${opened[0]!.id}`);
    assert.deepEqual(response.body.data.at(-1), read.body);
  });

  test('several metadata filters combine with AND', async () => {
    assert.deepEqual(await ids(`metadata[run]=${RUN}&metadata[tier]=gold&metadata[region]=eu`), idsOf((a) => a.metadata.tier === 'gold' && a.metadata.region === 'eu'));
  });

  test('metadata values compare as JSON strings: tier=5 does not match the number 5', async () => {
    assert.deepEqual(await ids(`metadata[run]=${RUN}&metadata[tier]=5`), []);
  });

  test('a metadata key may hold dots, spaces and escaped characters', async () => {
    assert.deepEqual(await ids(`metadata[run]=${RUN}&${encodeURIComponent('metadata[a.b c]')}=${encodeURIComponent('x&y')}`), [opened[3]!.id]);
  });

  test('currency, status and external_ref filter, combined with metadata', async () => {
    assert.deepEqual(await ids(`metadata[run]=${RUN}&currency=USD`), idsOf((a) => a.currency === 'USD'));
    assert.deepEqual(await ids(`metadata[run]=${RUN}&status=active`), idsOf(() => true));
    assert.deepEqual(await ids(`metadata[run]=${RUN}&status=frozen`), []);
    assert.deepEqual(await ids(`external_ref=${RUN}-ref-3`), [opened[2]!.id]);
    assert.deepEqual(await ids(`external_ref=${RUN}-ref-3&currency=EUR`), []);
  });

  test('pages of 2 walk every match once, newest first, and the last page has next_cursor null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `metadata[run]=${RUN}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const response = await list(query);
      seen.push(...response.body.data.map((account: { id: string }) => account.id));
      cursor = response.body.next_cursor;
    } while (cursor !== null);
    assert.deepEqual(seen, idsOf(() => true));
  });

  test('without filters every account is listed', async () => {
    const all = await ids('limit=500');
    for (const account of opened) assert.ok(all.includes(account.id));
  });

  test('a cursor that was edited, or is used with other filters or on another list, is 400 naming cursor', async () => {
    const first = await list(`metadata[run]=${RUN}&limit=1`);
    const cursor: string = first.body.next_cursor;
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    const edited = Buffer.from(text.replace(/[0-9a-f](?=[0-9a-f]{3}-)/, (digit) => (digit === '0' ? '1' : '0'))).toString('base64url');
    const cut = Buffer.from(text.slice(0, -1)).toString('base64url');
    for (const bad of ['not-a-cursor', edited, cut, Buffer.from('seq:5').toString('base64url'), 'x'.repeat(301)]) {
      assertInvalidFields(await api.request('GET', `/v1/accounts?metadata[run]=${RUN}&limit=1&cursor=${encodeURIComponent(bad)}`), ['cursor'], 'query');
    }
    assertInvalidFields(await api.request('GET', `/v1/accounts?metadata[run]=${RUN}&currency=USD&limit=1&cursor=${cursor}`), ['cursor'], 'query');
    assertInvalidFields(await api.request('GET', `/v1/transactions?cursor=${cursor}`), ['cursor'], 'query');
    // The same filters in another order are the same query.
    const again = await api.request('GET', `/v1/accounts?limit=1&cursor=${cursor}&metadata[run]=${RUN}`);
    assert.equal(again.status, 200, again.raw);
  });

  test('an unknown parameter is 400 naming it, metadata without a key and a bare metadata too', async () => {
    assertInvalidFields(await api.request('GET', '/v1/accounts?offset=5'), ['offset'], 'query');
    assertInvalidFields(await api.request('GET', '/v1/accounts?metadata=gold'), ['metadata'], 'query');
    assertInvalidFields(await api.request('GET', '/v1/accounts?metadata[]=gold'), ['metadata[]'], 'query');
    assertInvalidFields(await api.request('GET', '/v1/accounts?metadata[a][b]=gold'), ['metadata[a][b]'], 'query');
    assertInvalidFields(await api.request('GET', `/v1/accounts?metadata[${'k'.repeat(101)}]=gold`), [`metadata[${'k'.repeat(101)}]`], 'query');
  });

  test('a metadata filter given twice, or a value over 1000 characters, is 400 naming it', async () => {
    assertInvalidFields(await api.request('GET', '/v1/accounts?metadata[tier]=gold&metadata[tier]=silver'), ['metadata[tier]'], 'query');
    assertInvalidFields(await api.request('GET', `/v1/accounts?metadata[tier]=${'g'.repeat(1001)}`), ['metadata[tier]'], 'query');
  });

  test('more than 10 metadata filters is 400 naming metadata', async () => {
    const query = Array.from({ length: 11 }, (_, index) => `metadata[k${index}]=v`).join('&');
    assertInvalidFields(await api.request('GET', `/v1/accounts?${query}`), ['metadata'], 'query');
  });

  test('bad currency, status, external_ref and limit are 400 naming each', async () => {
    assertInvalidFields(await api.request('GET', '/v1/accounts?currency=usd'), ['currency'], 'query');
    assertInvalidFields(await api.request('GET', '/v1/accounts?status=open'), ['status'], 'query');
    assertInvalidFields(await api.request('GET', '/v1/accounts?external_ref='), ['external_ref'], 'query');
    assertInvalidFields(await api.request('GET', '/v1/accounts?currency=USD&currency=EUR'), ['currency'], 'query');
    for (const limit of ['0', '501', 'abc', '2.5']) assertInvalidFields(await api.request('GET', `/v1/accounts?limit=${limit}`), ['limit'], 'query');
  });
});
