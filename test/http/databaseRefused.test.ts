// Proves that a database that refuses the service (wrong password, unknown role, no such database,
// nothing listening) makes reads and writes answer 503 service_unavailable with Retry-After, never
// 500, and that /readyz, which needs no key, says "database unreachable" and no more while the
// driver's message goes to the log.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { createService, type Service } from '../../src/service.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/freePort.js';
import { newKey, TEST_API_KEY } from '../support/service.js';
import { assertProblem, UNKNOWN_ID } from './helpers.js';

interface LoggedService {
  service: Service;
  /** Every log line written so far. */
  logged(): string;
}

async function serviceOn(url: string): Promise<LoggedService> {
  const config = loadConfig({ ENVIRONMENT: 'test', SERVICE_API_KEY: TEST_API_KEY, DATABASE_URL: url, LOG_LEVEL: 'warn' });
  let lines = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines += chunk;
      done();
    },
  });
  const service = await createService(config, url, pino({ level: 'warn' }, sink));
  return { service, logged: () => lines };
}

async function call(service: Service, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const headers: Record<string, string> = { 'x-service-api-key': TEST_API_KEY };
  if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'idempotency-key': newKey() });
  const response = await service.app.inject({ method, url, headers, payload: payload === undefined ? undefined : JSON.stringify(payload) });
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body), raw: response.body };
}

describe('a database that refuses the service', () => {
  let database: TestDatabase;
  const refusals: Array<{ name: string; url: () => Promise<string>; logs: RegExp }> = [
    {
      name: 'a wrong password',
      url: async () => withUrl(database.url, (url) => (url.password = 'not-the-password')),
      logs: /password authentication failed/,
    },
    { name: 'an unknown role', url: async () => withUrl(database.url, (url) => {
      url.username = 'nobody_here';
    }), logs: /nobody_here/ },
    { name: 'no such database', url: async () => withUrl(database.url, (url) => {
      url.pathname = '/no_such_database';
    }), logs: /no_such_database/ },
    {
      name: 'nothing listening',
      url: async () => withUrl(database.url, async (url) => {
        url.port = String(await freePort());
      }),
      logs: /ECONNREFUSED/,
    },
  ];
  before(async () => {
    database = await createTestDatabase(2);
  });
  after(() => database.drop());

  for (const refusal of refusals) {
    test(`${refusal.name}: reads and writes are 503, /readyz says only "database unreachable"`, async () => {
      const { service, logged } = await serviceOn(await refusal.url());
      try {
        for (const response of [
          await call(service, 'GET', `/v1/accounts/${UNKNOWN_ID}`),
          await call(service, 'GET', `/v1/accounts/${UNKNOWN_ID}/entries`),
          await call(service, 'POST', '/v1/accounts', { currency: 'USD' }),
          await call(service, 'POST', '/v1/transactions/deposit', { account_id: UNKNOWN_ID, amount: '1' }),
        ]) {
          assertProblem(response, 503, 'service_unavailable');
          assert.equal(response.headers['retry-after'], '1');
        }
        const ready = await service.app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(ready.statusCode, 503);
        assert.equal(JSON.parse(ready.body).detail, 'database unreachable');
        assert.match(logged(), refusal.logs);
        assert.doesNotMatch(logged(), /"level":50/, 'no error-level log line: the fault is the database, not the code');
      } finally {
        await service.close();
      }
    });
  }
});

async function withUrl(base: string, change: (url: URL) => unknown): Promise<string> {
  const url = new URL(base);
  await change(url);
  return url.toString();
}
