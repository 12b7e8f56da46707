// Proves that every /v1 route needs the right X-Service-Api-Key (401 unauthorized otherwise,
// before any effect), while /healthz, /readyz, /openapi.json and /docs need none; and that while a
// key is rotated (SERVICE_API_KEY="current,next") both keys pass and nothing else does.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fundedAccount, newKey, startTestService, TEST_API_KEY, type TestService } from '../support/service.js';
import { assertProblem, UNKNOWN_ID } from './helpers.js';

describe('API key', () => {
  let api: TestService;
  let account: string;
  before(async () => {
    api = await startTestService();
    account = await fundedAccount(api, 'USD', 100n);
  });
  after(() => api.close());

  const routes = (): Array<[string, string, unknown]> => [
    ['POST', '/v1/accounts', { currency: 'USD' }],
    ['GET', `/v1/accounts/${account}`, undefined],
    ['GET', `/v1/accounts/${account}/entries`, undefined],
    ['POST', '/v1/transactions/deposit', { account_id: account, amount: '1' }],
    ['POST', '/v1/transactions/withdraw', { account_id: account, amount: '1' }],
    ['POST', '/v1/transactions/transfer', { source_account_id: account, destination_account_id: UNKNOWN_ID, amount: '1' }],
    ['GET', `/v1/transactions/${UNKNOWN_ID}`, undefined],
  ];

  const variants: Array<[string, { anonymous?: boolean; headers?: Record<string, string> }]> = [
    ['missing', { anonymous: true }],
    ['wrong', { headers: { 'x-service-api-key': 'wrong-key' } }],
    ['a prefix of the right one', { headers: { 'x-service-api-key': TEST_API_KEY.slice(0, -1) } }],
    ['the right one with a suffix', { headers: { 'x-service-api-key': `${TEST_API_KEY}x` } }],
    ['empty', { headers: { 'x-service-api-key': '' } }],
  ];

  for (const [name, options] of variants) {
    test(`a ${name} key is 401 unauthorized on every /v1 route and changes nothing`, async () => {
      for (const [method, url, body] of routes()) {
        const response = await api.request(method, url, { ...options, body, idempotencyKey: newKey() });
        assertProblem(response, 401, 'unauthorized');
      }
      const { rows } = await api.database.pool.query(`SELECT
        (SELECT count(*)::int FROM accounts WHERE kind = 'user') AS accounts,
        (SELECT count(*)::int FROM ledger_transactions) AS transactions`);
      assert.deepEqual(rows[0], { accounts: 1, transactions: 1 });
    });
  }

  test('401 comes before validation: a bad body with no key is still 401', async () => {
    const response = await api.request('POST', '/v1/transactions/deposit', { anonymous: true, body: { amount: 'x' } });
    assertProblem(response, 401, 'unauthorized');
  });

  test('an unknown /v1 path without a key is 401 too, so the API shape is not visible without the key', async () => {
    for (const url of ['/v1/nothing-here', '/v1', '/v1?x=1', `/v1/accounts/${account}/nothing`]) {
      assertProblem(await api.request('GET', url, { anonymous: true }), 401, 'unauthorized');
    }
    assertProblem(await api.request('GET', '/v1/nothing-here'), 404, 'not_found');
  });

  test('a percent-encoded path that routes to /v1 still needs the key', async () => {
    const encoded = `/%761/accounts/${account}`;
    assertProblem(await api.request('GET', encoded, { anonymous: true }), 401, 'unauthorized');
    assert.equal((await api.request('GET', encoded)).status, 200);
  });

  test('the right key passes', async () => {
    const response = await api.request('GET', `/v1/accounts/${account}`, { headers: { 'x-service-api-key': TEST_API_KEY } });
    assert.equal(response.status, 200);
  });

  test('health and documentation need no key', async () => {
    for (const url of ['/healthz', '/readyz', '/openapi.json']) {
      const response = await api.request('GET', url, { anonymous: true });
      assert.equal(response.status, 200, url);
    }
  });

  test('the key never appears in a response', async () => {
    const response = await api.request('GET', `/v1/accounts/${UNKNOWN_ID}`);
    assert.ok(!response.raw.includes(TEST_API_KEY));
    const openapi = await api.request('GET', '/openapi.json', { anonymous: true });
    assert.ok(!openapi.raw.includes(TEST_API_KEY));
  });
});

describe('API key rotation', () => {
  const current = 'current-service-api-key-0123456789abcdef';
  const next = 'next-service-api-key-0123456789abcdefgh';
  let api: TestService;
  before(async () => {
    api = await startTestService({ SERVICE_API_KEY: `${current}, ${next}` });
  });
  after(() => api.close());

  const withKey = (key: string) => ({ headers: { 'x-service-api-key': key } });

  test('the current and the next key both pass', async () => {
    for (const key of [current, next]) {
      const opened = await api.request('POST', '/v1/accounts', { ...withKey(key), body: { currency: 'USD' } });
      assert.equal(opened.status, 201, key);
    }
  });

  test('anything else is 401: the old single key, both together, a prefix, a suffix', async () => {
    for (const key of [TEST_API_KEY, `${current},${next}`, `${current}, ${next}`, current.slice(0, -1), `${next}x`, '']) {
      assertProblem(await api.request('GET', `/v1/accounts/${UNKNOWN_ID}`, withKey(key)), 401, 'unauthorized');
    }
  });
});
