// Proves that /openapi.json is a valid OpenAPI document (checked by @readme/openapi-parser) that
// documents every /v1 route with its API-key security, the Idempotency-Key header of every write,
// X-Ledger-Position on every write's successes and every GET, and every status each operation can answer as application/problem+json — including the ones the
// running service really gives — and that Swagger UI is served at /docs outside production.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import { fundedAccount, newKey, startTestService, type ApiResponse, type TestService } from '../support/service.js';
import { UNKNOWN_ID } from './helpers.js';

const V1_OPERATIONS = [
  'get /v1/accounts',
  'get /v1/accounts/{id}',
  'get /v1/accounts/{id}/balance',
  'get /v1/accounts/{id}/entries',
  'get /v1/accounts/{id}/history',
  'get /v1/accounts/{id}/holds',
  'get /v1/holds/{id}',
  'get /v1/transactions',
  'get /v1/transactions/{id}',
  'patch /v1/accounts/{id}',
  'post /v1/accounts',
  'post /v1/holds',
  'post /v1/holds/{id}/capture',
  'post /v1/holds/{id}/void',
  'post /v1/transactions',
  'post /v1/transactions/deposit',
  'post /v1/transactions/transfer',
  'post /v1/transactions/withdraw',
  'post /v1/transactions/{id}/reverse',
];

const POSTING_STATUSES = ['201', '400', '401', '404', '409', '413', '415', '422', '500', '503'];
const READ_STATUSES = ['200', '400', '401', '404', '500', '503'];
/** What each operation can answer: its success, then every problem. */
const STATUSES: Record<string, string[]> = {
  'get /healthz': ['200'],
  'get /readyz': ['200', '503'],
  'post /v1/accounts': ['201', '400', '401', '409', '413', '415', '422', '500', '503'],
  'post /v1/transactions/deposit': POSTING_STATUSES,
  'post /v1/transactions/withdraw': POSTING_STATUSES,
  'post /v1/transactions/transfer': POSTING_STATUSES,
  'post /v1/transactions': POSTING_STATUSES,
  'get /v1/accounts/{id}': READ_STATUSES,
  'get /v1/accounts/{id}/entries': READ_STATUSES,
  'get /v1/transactions/{id}': READ_STATUSES,
  'post /v1/holds': POSTING_STATUSES,
  'post /v1/holds/{id}/capture': POSTING_STATUSES,
  'post /v1/holds/{id}/void': ['200', '400', '401', '404', '409', '413', '415', '422', '500', '503'],
  'post /v1/transactions/{id}/reverse': POSTING_STATUSES,
  'get /v1/holds/{id}': READ_STATUSES,
  'get /v1/accounts/{id}/holds': READ_STATUSES,
  'get /v1/accounts': ['200', '400', '401', '500', '503'],
  'get /v1/accounts/{id}/balance': READ_STATUSES,
  'get /v1/transactions': ['200', '400', '401', '500', '503'],
  'patch /v1/accounts/{id}': ['200', '400', '401', '404', '409', '412', '413', '415', '422', '428', '500', '503'],
  'get /v1/accounts/{id}/history': READ_STATUSES,
};
const BODY_LIMIT_BYTES = 1024 * 1024;

describe('OpenAPI', () => {
  let api: TestService;
  let document: any;
  before(async () => {
    api = await startTestService();
    document = (await api.request('GET', '/openapi.json', { anonymous: true })).body;
  });
  after(() => api.close());

  function operation(name: string): any {
    const [method, path] = name.split(' ') as [string, string];
    const described = document.paths[path]?.[method];
    assert.ok(described, `${name} is documented`);
    return described;
  }

  test('@readme/openapi-parser finds the document valid OpenAPI 3', async () => {
    assert.match(document.openapi, /^3\./);
    // The validator dereferences in place: it gets a copy, so the other tests see the served document.
    const result = await validate(structuredClone(document));
    assert.ok(result.valid, result.valid ? '' : compileErrors(result));
    assert.equal(result.specification, 'OpenAPI');
  });

  test('/openapi.json is an OpenAPI 3 document listing every /v1 operation, each secured by the API key', async () => {
    const response = await api.request('GET', '/openapi.json', { anonymous: true });
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(document.info.title, 'Wallet Ledger Service');
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    assert.deepEqual(operations.filter((name) => name.includes(' /v1/')).sort(), V1_OPERATIONS);
    assert.ok(operations.includes('get /healthz'));
    assert.ok(operations.includes('get /readyz'));
    assert.ok(!operations.some((name) => name.includes('/openapi.json')));
    for (const name of V1_OPERATIONS) assert.deepEqual(operation(name).security, [{ serviceApiKey: [] }], name);
    assert.deepEqual(document.components.securitySchemes.serviceApiKey, { type: 'apiKey', in: 'header', name: 'X-Service-Api-Key' });
  });

  test('every posting declares the Idempotency-Key header as required; opening an account as optional', () => {
    for (const name of ['post /v1/transactions/deposit', 'post /v1/transactions/withdraw', 'post /v1/transactions/transfer', 'post /v1/accounts']) {
      const headers = (operation(name).parameters ?? []).filter((parameter: any) => parameter.in === 'header');
      assert.equal(headers.length, 1, `${name}: ${JSON.stringify(headers)}`);
      assert.equal(headers[0].name, 'Idempotency-Key', name);
      assert.equal(headers[0].required, name !== 'post /v1/accounts', name);
      assert.equal(headers[0].schema.type, 'string');
      assert.equal(headers[0].schema.maxLength, 255);
    }
  });

  test('every write declares X-Ledger-Position on its successes, and every GET under /v1 accepts it', () => {
    for (const name of V1_OPERATIONS) {
      const described = operation(name);
      if (name.startsWith('get ')) {
        const header = (described.parameters ?? []).find((parameter: any) => parameter.in === 'header' && parameter.name === 'X-Ledger-Position');
        assert.ok(header, `${name} documents X-Ledger-Position`);
        assert.equal(header.required, false, name);
        assert.equal(header.schema.type, 'string', name);
        continue;
      }
      const successes = Object.keys(described.responses).filter((status) => status.startsWith('2'));
      assert.ok(successes.length > 0, name);
      for (const status of successes) assert.equal(described.responses[status].headers?.['X-Ledger-Position']?.schema?.type, 'string', `${name} ${status}`);
    }
  });

  test("an account's answers declare the ETag header that a PATCH's If-Match names", () => {
    const responses = [
      document.paths['/v1/accounts'].post.responses['201'],
      document.paths['/v1/accounts/{id}'].get.responses['200'],
      document.paths['/v1/accounts/{id}'].patch.responses['200'],
    ];
    for (const response of responses) assert.equal(response.headers?.ETag?.schema?.type, 'string');
  });

  test('every operation declares each status it can answer, problems as application/problem+json', () => {
    for (const [name, statuses] of Object.entries(STATUSES)) {
      const responses = operation(name).responses;
      assert.deepEqual(Object.keys(responses).sort(), statuses, name);
      for (const status of statuses.filter((code) => Number(code) >= 400)) {
        assert.deepEqual(Object.keys(responses[status].content), ['application/problem+json'], `${name} ${status}`);
        const schema = responses[status].content['application/problem+json'].schema;
        assert.deepEqual([...schema.required].sort(), ['code', 'detail', 'status', 'title', 'type'], `${name} ${status}`);
        assert.match(responses[status].description, /`[a-z_]+`/, `${name} ${status} names its problem codes`);
      }
      if (responses['503']) assert.ok(responses['503'].headers['Retry-After'], `${name} 503 documents Retry-After`);
    }
    const transfer = operation('post /v1/transactions/transfer');
    assert.match(transfer.responses['422'].description, /`insufficient_funds`.*`same_account`/);
    assert.match(operation('post /v1/transactions/deposit').responses['400'].description, /`idempotency_key_missing`/);
    const body = transfer.requestBody.content['application/json'].schema;
    assert.deepEqual([...body.required].sort(), ['amount', 'destination_account_id', 'source_account_id']);
    const account = operation('get /v1/accounts/{id}').responses['200'].content['application/json'].schema;
    for (const field of ['id', 'currency', 'balance', 'available_balance', 'status', 'external_ref', 'metadata', 'version', 'created_at', 'updated_at']) {
      assert.ok(field in account.properties, field);
    }
  });

  test('the statuses and media types the service really answers are the declared ones', async () => {
    const wallet = await fundedAccount(api, 'USD', 100n);
    const reusedKey = newKey();
    await api.request('POST', '/v1/transactions/deposit', { body: { account_id: wallet, amount: '1' }, idempotencyKey: reusedKey });
    const deposit = (options: Parameters<TestService['request']>[2]) => api.request('POST', '/v1/transactions/deposit', options);
    const answered: Array<[string, ApiResponse]> = [
      ['post /v1/transactions/deposit', await deposit({ body: { account_id: wallet, amount: '1' }, idempotencyKey: newKey() })],
      ['post /v1/transactions/deposit', await deposit({ body: { account_id: wallet, amount: '1' } })],
      ['post /v1/transactions/deposit', await deposit({ body: { account_id: wallet, amount: '1' }, anonymous: true })],
      ['post /v1/transactions/deposit', await deposit({ body: { account_id: UNKNOWN_ID, amount: '1' }, idempotencyKey: newKey() })],
      ['post /v1/transactions/deposit', await deposit({ body: 'x'.repeat(BODY_LIMIT_BYTES + 1), idempotencyKey: newKey() })],
      ['post /v1/transactions/deposit', await deposit({ body: 'amount=1', headers: { 'content-type': 'text/plain' }, idempotencyKey: newKey() })],
      ['post /v1/transactions/deposit', await deposit({ body: { account_id: wallet, amount: '2' }, idempotencyKey: reusedKey })],
      ['post /v1/transactions/withdraw', await api.request('POST', '/v1/transactions/withdraw', { body: { account_id: wallet, amount: '1000' }, idempotencyKey: newKey() })],
      ['get /v1/accounts/{id}', await api.request('GET', `/v1/accounts/${wallet}`)],
      ['get /v1/accounts/{id}', await api.request('GET', '/v1/accounts/not-a-uuid')],
      ['get /v1/accounts/{id}', await api.request('GET', `/v1/accounts/${UNKNOWN_ID}`)],
      ['get /v1/transactions/{id}', await api.request('GET', `/v1/transactions/${UNKNOWN_ID}`, { anonymous: true })],
      ['get /readyz', await api.request('GET', '/readyz', { anonymous: true })],
    ];
    const seen = new Set<string>();
    for (const [name, response] of answered) {
      const declared = operation(name).responses[String(response.status)];
      assert.ok(declared, `${name} answered ${response.status}, which it does not declare: ${response.raw}`);
      const mediaType = String(response.headers['content-type']).split(';')[0]!;
      assert.ok(mediaType in declared.content, `${name} ${response.status} is ${mediaType}, declared ${Object.keys(declared.content)}`);
      seen.add(String(response.status));
    }
    assert.deepEqual([...seen].sort(), ['200', '201', '400', '401', '404', '413', '415', '422']);
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
