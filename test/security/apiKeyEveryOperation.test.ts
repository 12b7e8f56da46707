// Proves that every /v1 operation the OpenAPI document lists, now or added later, answers 401
// unauthorized without the key and with a wrong one, writes nothing, and succeeds with the right key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fundedAccount, newKey, startTestService, TEST_API_KEY, type TestService } from '../support/service.js';
import { assertProblem } from '../http/helpers.js';

interface Operation {
  method: string;
  path: string;
  requestBody?: { content: Record<string, { schema: { required?: string[] } }> };
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

describe('the API key on every operation of the OpenAPI document', () => {
  let api: TestService;
  let operations: Operation[];
  let values: Record<string, string>;
  before(async () => {
    api = await startTestService();
    const source = await fundedAccount(api, 'USD', 1_000n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const { rows } = await api.database.pool.query(`SELECT id FROM ledger_transactions LIMIT 1`);
    const hold = async () => (await api.request('POST', '/v1/holds', { body: { source_account_id: source, amount: '1' }, idempotencyKey: newKey() })).body.id;
    const reversible = (await api.request('POST', '/v1/transactions/transfer', {
      body: { source_account_id: source, destination_account_id: destination, amount: '1' }, idempotencyKey: newKey(),
    })).body.id;
    // A valid value for every path parameter and required body field the document names.
    values = {
      id: source,
      account_id: source,
      source_account_id: source,
      destination_account_id: destination,
      amount: '1',
      currency: 'USD',
      transaction: rows[0].id,
      reversible,
      hold: await hold(),
      voidableHold: await hold(),
      at: new Date().toISOString(),
    };
    const document = (await api.request('GET', '/openapi.json', { anonymous: true })).body;
    operations = Object.entries(document.paths as Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>)
      .filter(([path]) => path.startsWith('/v1'))
      .flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method]) => HTTP_METHODS.includes(method))
          .map(([method, operation]) => ({ ...operation, method: method.toUpperCase(), path })),
      );
  });
  after(() => api.close());

  function urlOf(operation: Operation): string {
    const id = operation.path.endsWith('/reverse') ? values.reversible!
      : operation.path.endsWith('/void') ? values.voidableHold!
      : operation.path.startsWith('/v1/holds/') ? values.hold!
      : operation.path.startsWith('/v1/transactions/') ? values.transaction! : values.id!;
    const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'id' ? id : values[name]!));
    // A valid value for every required query parameter too.
    const query = (operation.parameters ?? []).filter((parameter) => parameter.in === 'query' && parameter.required)
      .map((parameter) => `${parameter.name}=${encodeURIComponent(values[parameter.name]!)}`);
    return query.length ? `${path}?${query.join('&')}` : path;
  }

  function bodyOf(operation: Operation): Record<string, unknown> | undefined {
    if (!operation.requestBody) return undefined;
    const schema = operation.requestBody.content['application/json']!.schema;
    const body: Record<string, unknown> = {};
    for (const field of schema.required ?? []) {
      // A multi-leg transaction's one leg moves the test value between the two test accounts.
      if (field === 'legs') {
        body[field] = [{ source_account_id: values.source_account_id, destination_account_id: values.destination_account_id, amount: '1' }];
        continue;
      }
      assert.ok(field in values, `${operation.method} ${operation.path}: no test value for required field ${field}`);
      body[field] = values[field]!;
    }
    return body;
  }

  async function writtenRows(): Promise<Record<string, number>> {
    const { rows } = await api.database.pool.query(`SELECT
      (SELECT count(*)::int FROM accounts) AS accounts,
      (SELECT count(*)::int FROM ledger_transactions) AS transactions,
      (SELECT count(*)::int FROM ledger_entries) AS entries,
      (SELECT count(*)::int FROM outbox) AS events,
      (SELECT count(*)::int FROM idempotency_keys) AS keys,
      (SELECT count(*)::int FROM holds) AS holds,
      (SELECT count(*)::int FROM hold_changes) AS hold_changes`);
    return rows[0];
  }

  test('the document lists every /v1 operation, each declaring the API key', () => {
    const listed = operations.map((operation) => `${operation.method} ${operation.path}`).sort();
    assert.deepEqual(listed, [
      'GET /v1/accounts',
      'GET /v1/accounts/{id}',
      'GET /v1/accounts/{id}/balance',
      'GET /v1/accounts/{id}/entries',
      'GET /v1/accounts/{id}/history',
      'GET /v1/accounts/{id}/holds',
      'GET /v1/holds/{id}',
      'GET /v1/transactions',
      'GET /v1/transactions/{id}',
      'PATCH /v1/accounts/{id}',
      'POST /v1/accounts',
      'POST /v1/holds',
      'POST /v1/holds/{id}/capture',
      'POST /v1/holds/{id}/void',
      'POST /v1/transactions',
      'POST /v1/transactions/deposit',
      'POST /v1/transactions/transfer',
      'POST /v1/transactions/withdraw',
      'POST /v1/transactions/{id}/reverse',
    ]);
    for (const operation of operations) {
      assert.deepEqual(operation.security, [{ serviceApiKey: [] }], `${operation.method} ${operation.path}`);
    }
  });

  for (const [name, headers] of [
    ['without the key', {}],
    ['with a wrong key', { 'x-service-api-key': `${TEST_API_KEY.slice(1)}!` }],
    ['with the key in another header', { authorization: `Bearer ${TEST_API_KEY}` }],
  ] as const) {
    test(`every operation ${name} is 401 unauthorized and writes nothing`, async () => {
      const before = await writtenRows();
      for (const operation of operations) {
        const response = await api.request(operation.method, urlOf(operation), {
          anonymous: true,
          headers: { ...headers },
          body: bodyOf(operation),
          idempotencyKey: newKey(),
        });
        assertProblem(response, 401, 'unauthorized');
      }
      assert.deepEqual(await writtenRows(), before);
    });
  }

  test('the same requests with the right key succeed, so the 401s were the key alone', async () => {
    for (const operation of operations) {
      // A PATCH needs If-Match (any ETag, for this test).
      const headers: Record<string, string> = operation.method === 'PATCH' ? { 'if-match': '*' } : {};
      const response = await api.request(operation.method, urlOf(operation), { body: bodyOf(operation), idempotencyKey: newKey(), headers });
      assert.ok(response.status === 200 || response.status === 201, `${operation.method} ${operation.path}: ${response.status} ${response.raw}`);
    }
  });
});
