// Proves that /openapi.json documents every /v1 route with its method and API-key security, and
// that Swagger UI is served at /docs, both without a key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../support/service.js';

const V1_OPERATIONS = [
  'get /v1/accounts/{id}',
  'get /v1/accounts/{id}/entries',
  'get /v1/transactions/{id}',
  'post /v1/accounts',
  'post /v1/transactions/deposit',
  'post /v1/transactions/transfer',
  'post /v1/transactions/withdraw',
];

describe('OpenAPI', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  test('/openapi.json is an OpenAPI 3 document listing every /v1 operation, each secured by the API key', async () => {
    const response = await api.request('GET', '/openapi.json', { anonymous: true });
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const document = response.body;
    assert.match(document.openapi, /^3\./);
    assert.equal(document.info.title, 'Wallet Ledger Service');
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    assert.deepEqual(operations.filter((operation) => operation.includes(' /v1/')).sort(), V1_OPERATIONS);
    assert.ok(operations.includes('get /healthz'));
    assert.ok(operations.includes('get /readyz'));
    assert.ok(!operations.some((operation) => operation.includes('/openapi.json')));
    for (const operation of V1_OPERATIONS) {
      const [method, path] = operation.split(' ') as [string, string];
      const described = document.paths[path][method];
      assert.deepEqual(described.security, [{ serviceApiKey: [] }], operation);
    }
    assert.deepEqual(document.components.securitySchemes.serviceApiKey, { type: 'apiKey', in: 'header', name: 'X-Service-Api-Key' });
  });

  test('write operations document their request body and the 201 and problem responses', async () => {
    const document = (await api.request('GET', '/openapi.json', { anonymous: true })).body;
    const transfer = document.paths['/v1/transactions/transfer'].post;
    const schema = transfer.requestBody.content['application/json'].schema;
    assert.deepEqual([...schema.required].sort(), ['amount', 'destination_account_id', 'source_account_id']);
    assert.deepEqual(Object.keys(transfer.responses).sort(), ['201', '400', '404', '409', '422']);
    const account = document.paths['/v1/accounts/{id}'].get.responses['200'].content['application/json'].schema;
    for (const field of ['id', 'currency', 'balance', 'available_balance', 'status', 'external_ref', 'metadata', 'version', 'created_at', 'updated_at']) {
      assert.ok(field in account.properties, field);
    }
  });

  test('/docs serves Swagger UI', async () => {
    let response = await api.request('GET', '/docs', { anonymous: true });
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(String(response.headers.location), 'http://localhost/docs');
      response = await api.request('GET', location.pathname, { anonymous: true });
    }
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.raw, /swagger-ui/i);
  });
});
