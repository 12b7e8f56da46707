// Proves that GET /v1/admin/accounts?external_ref= finds an account by its external_ref and answers
// it as GET /v1/accounts/{id} does, refuses a missing, empty, too long or unknown query field with
// a problem naming it, answers 404 for a reference no account has, needs the API key, and stays
// out of the OpenAPI document.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newKey, startTestService, type TestService } from '../support/service.js';
import { assertInvalidFields, assertProblem, JSON_CONTENT_TYPE } from './helpers.js';

let api: TestService;

before(async () => {
  api = await startTestService();
});

after(() => api.close());

test('an account is found by its external_ref, answered as GET /v1/accounts/{id} answers it', async () => {
  const externalRef = `customer/${newKey()}?&=é`;
  const opened = await api.request('POST', '/v1/accounts', { body: { currency: 'USD', external_ref: externalRef, metadata: { tier: 'gold' } } });
  assert.equal(opened.status, 201, opened.raw);
  await api.request('POST', '/v1/transactions/deposit', { body: { account_id: opened.body.id, amount: '1050' }, idempotencyKey: newKey() });

  const found = await api.request('GET', `/v1/admin/accounts?external_ref=${encodeURIComponent(externalRef)}`);
  assert.equal(found.status, 200, found.raw);
  assert.equal(found.headers['content-type'], JSON_CONTENT_TYPE);
  const byId = await api.request('GET', `/v1/accounts/${opened.body.id}`);
  assert.deepEqual(found.body, byId.body);
  assert.equal(found.body.balance, '1050');
});

test('a reference no account has is 404 account_not_found', async () => {
  assertProblem(await api.request('GET', '/v1/admin/accounts?external_ref=nobody-has-this'), 404, 'account_not_found');
});

test('a missing, empty or too long external_ref, or another query field, is 400 naming the field', async () => {
  assertInvalidFields(await api.request('GET', '/v1/admin/accounts'), ['external_ref'], 'query');
  assertInvalidFields(await api.request('GET', '/v1/admin/accounts?external_ref='), ['external_ref'], 'query');
  assertInvalidFields(await api.request('GET', `/v1/admin/accounts?external_ref=${'x'.repeat(256)}`), ['external_ref'], 'query');
  assertInvalidFields(await api.request('GET', '/v1/admin/accounts?external_ref=a&id=b'), ['id'], 'query');
});

test('without the API key, or with a wrong one, it is 401 unauthorized', async () => {
  assertProblem(await api.request('GET', '/v1/admin/accounts?external_ref=a', { anonymous: true }), 401, 'unauthorized');
  const wrong = await api.request('GET', '/v1/admin/accounts?external_ref=a', { headers: { 'x-service-api-key': 'wrong' } });
  assertProblem(wrong, 401, 'unauthorized');
});

test('the admin API is not in the OpenAPI document, which describes the clients\' API', async () => {
  const document = (await api.request('GET', '/openapi.json')).body;
  assert.deepEqual(Object.keys(document.paths).filter((path) => path.startsWith('/v1/admin')), []);
});
