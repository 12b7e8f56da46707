// Proves that no secret reaches a log line: the server process at LOG_LEVEL trace and debug, sent
// requests that carry the API key and end in every kind of error (including a lost database
// connection), never prints SERVICE_API_KEY, SECRET_KEY, or the password of DATABASE_URL or BROKER_URL.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServerProcess } from '../support/serverProcess.js';
import { TEST_API_KEY } from '../support/service.js';
import { createServiceLogin, type ServiceLogin } from './serviceLogin.js';

const UNKNOWN_ID = '0190a000-0000-7000-8000-000000000000';

describe('secrets in the logs', () => {
  let database: TestDatabase;
  let login: ServiceLogin;
  before(async () => {
    database = await createTestDatabase();
    login = await createServiceLogin();
  });
  after(async () => {
    await database.drop();
    await login.drop();
  });

  for (const level of ['trace', 'debug']) {
    test(`at LOG_LEVEL=${level} the output holds none of the secrets`, async () => {
      const secretKey = `secret-key-${randomBytes(24).toString('hex')}`;
      const brokerPassword = `broker-${randomBytes(12).toString('hex')}`;
      const server = await startServerProcess(login.urlFor(database.url), {
        LOG_LEVEL: level,
        SECRET_KEY: secretKey,
        BROKER_URL: `amqp://ledger:${brokerPassword}@127.0.0.1:1`,
      });
      try {
        await exerciseEveryOutcome(server.url, database, login);
      } finally {
        await server.stop();
      }
      const output = server.output();
      // The run logged requests and its shutdown: the search below means something.
      assert.match(output, /incoming request/);
      assert.match(output, /shutting down/);
      for (const [name, secret] of [
        ['SERVICE_API_KEY', TEST_API_KEY],
        ['SECRET_KEY', secretKey],
        ['the DATABASE_URL password', login.password],
        ['the BROKER_URL password', brokerPassword],
      ] as const) {
        const line = output.split('\n').find((text) => text.includes(secret));
        assert.equal(line, undefined, `${name} is in a log line: ${line}`);
      }
    });
  }
});

async function send(baseUrl: string, method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json', ...options.headers },
    body: options.body,
  });
  return { status: response.status, text: await response.text() };
}

/** Successes, replays and each kind of failure, every request carrying the API key (or a wrong one). */
async function exerciseEveryOutcome(baseUrl: string, database: TestDatabase, login: ServiceLogin): Promise<void> {
  const statuses: number[] = [];
  const call = async (method: string, path: string, options?: { body?: string; headers?: Record<string, string> }) => {
    const response = await send(baseUrl, method, path, options);
    statuses.push(response.status);
    return response;
  };
  const opened = await call('POST', '/v1/accounts', { body: JSON.stringify({ currency: 'USD', metadata: { note: 'log test' } }) });
  const account = JSON.parse(opened.text).id as string;
  const deposit = JSON.stringify({ account_id: account, amount: '100' });
  await call('POST', '/v1/transactions/deposit', { body: deposit, headers: { 'idempotency-key': 'log-test-1' } });
  await call('POST', '/v1/transactions/deposit', { body: deposit, headers: { 'idempotency-key': 'log-test-1' } });
  await call('POST', '/v1/transactions/deposit', { body: JSON.stringify({ account_id: account, amount: '5' }), headers: { 'idempotency-key': 'log-test-1' } });
  await call('POST', '/v1/transactions/withdraw', { body: JSON.stringify({ account_id: account, amount: '1000' }), headers: { 'idempotency-key': 'log-test-2' } });
  await call('POST', '/v1/transactions/deposit', { body: '{"account_id": "not-a-uuid", "amount": -1}', headers: { 'idempotency-key': 'log-test-3' } });
  await call('POST', '/v1/transactions/deposit', { body: deposit });
  await call('POST', '/v1/transactions/deposit', { body: '{not json', headers: { 'idempotency-key': 'log-test-4' } });
  await call('POST', '/v1/accounts', { body: 'currency=USD', headers: { 'content-type': 'text/plain' } });
  await call('POST', '/v1/accounts', { body: JSON.stringify({ currency: 'USD', metadata: { big: 'x'.repeat(1_100_000) } }) });
  await call('GET', `/v1/accounts/${UNKNOWN_ID}`);
  await call('GET', `/v1/accounts/${account}/entries?cursor=nonsense`);
  await call('GET', `/v1/transactions/${UNKNOWN_ID}`);
  await call('GET', '/v1/nowhere');
  await call('GET', `/v1/accounts/${account}`, { headers: { 'x-service-api-key': `${TEST_API_KEY}-wrong` } });
  await call('GET', `/v1/accounts/${account}`, { headers: { authorization: `Bearer ${TEST_API_KEY}`, cookie: `key=${TEST_API_KEY}` } });
  await call('GET', '/readyz');
  // Cut the service's database connections: the next requests log the lost connection.
  await database.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [login.name]);
  await call('GET', `/v1/accounts/${account}`);
  await call('POST', '/v1/transactions/deposit', { body: deposit, headers: { 'idempotency-key': 'log-test-5' } });
  await call('GET', '/readyz');
  for (const status of [200, 201, 400, 401, 404, 413, 415, 422]) {
    assert.ok(statuses.includes(status), `no ${status} among ${statuses.join(', ')}`);
  }
}
