// Proves that every response, success or problem, carries X-Request-Id: the caller's when sane,
// a fresh UUID otherwise.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../support/service.js';
import { UNKNOWN_ID } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('X-Request-Id', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  const cases: Array<[string, string, { anonymous?: boolean; body?: unknown }, number]> = [
    ['GET', '/healthz', {}, 200],
    ['POST', '/v1/accounts', { body: { currency: 'USD' } }, 201],
    ['GET', `/v1/accounts/${UNKNOWN_ID}`, {}, 404],
    ['POST', '/v1/accounts', { body: { currency: 'usd' } }, 400],
    ['GET', `/v1/accounts/${UNKNOWN_ID}`, { anonymous: true }, 401],
    ['GET', '/nowhere', {}, 404],
  ];

  for (const [method, url, options, status] of cases) {
    test(`${method} ${url} (${status}) echoes the caller's id and generates one when absent`, async () => {
      const echoed = await api.request(method, url, { ...options, headers: { 'x-request-id': 'req-abc.123:x_Y' } });
      assert.equal(echoed.status, status);
      assert.equal(echoed.headers['x-request-id'], 'req-abc.123:x_Y');
      const generated = await api.request(method, url, options);
      assert.equal(generated.status, status);
      assert.match(String(generated.headers['x-request-id']), UUID);
    });
  }

  test('two requests without an id get different ids', async () => {
    const first = await api.request('GET', '/healthz');
    const second = await api.request('GET', '/healthz');
    assert.notEqual(first.headers['x-request-id'], second.headers['x-request-id']);
  });

  test('an id with unsafe characters or over 128 characters is replaced, not echoed', async () => {
    for (const given of ['has space', 'a'.repeat(129), 'new\u00e9line', '<script>']) {
      const response = await api.request('GET', '/healthz', { headers: { 'x-request-id': given } });
      assert.match(String(response.headers['x-request-id']), UUID, given);
    }
    const longest = 'a'.repeat(128);
    const response = await api.request('GET', '/healthz', { headers: { 'x-request-id': longest } });
    assert.equal(response.headers['x-request-id'], longest);
  });
});
