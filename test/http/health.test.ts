// Proves /healthz and /readyz: both answer without a key; /readyz is 200 only when the database is
// reachable and at the latest migration, 503 service_unavailable with the reason otherwise, and
// the service recovers by itself when the database comes back.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { latestMigrationName } from '../../src/db/migrations.js';
import { createService, type Service } from '../../src/service.js';
import { adminUrl, createTestDatabase, runAdmin, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/freePort.js';
import { newKey, startTestService, TEST_API_KEY, type TestService } from '../support/service.js';
import { assertProblem, JSON_CONTENT_TYPE } from './helpers.js';

async function serviceOn(url: string): Promise<Service> {
  const config = loadConfig({ ENVIRONMENT: 'test', SERVICE_API_KEY: TEST_API_KEY, DATABASE_URL: url, LOG_LEVEL: 'silent' });
  return createService(config, url, pino({ level: 'silent' }));
}

async function get(service: Service, url: string) {
  const response = await service.app.inject({ method: 'GET', url, headers: { 'x-service-api-key': TEST_API_KEY } });
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body), raw: response.body };
}

/** A TCP proxy to the database that the test can cut and restore, as a network outage would. */
class CuttableProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  constructor(readonly port: number, private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('health', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  test('/healthz is 200 without a key', async () => {
    const response = await api.request('GET', '/healthz', { anonymous: true });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], JSON_CONTENT_TYPE);
    assert.deepEqual(response.body, { status: 'ok' });
  });

  test('/readyz is 200 with the latest migration on a migrated database', async () => {
    const response = await api.request('GET', '/readyz', { anonymous: true });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { status: 'ready', migration: await latestMigrationName() });
  });
});

describe('readiness when the schema is behind', () => {
  test('a database without migrations is 503 naming "no migration"; /healthz stays 200', async () => {
    const name = `test_bare_${process.pid}_${Date.now()}`;
    await runAdmin(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl());
    url.pathname = `/${name}`;
    const service = await serviceOn(url.toString());
    try {
      const response = await get(service, '/readyz');
      assertProblem(response, 503, 'service_unavailable');
      assert.equal(response.headers['retry-after'], '1');
      assert.match(response.body.detail, /no migration/);
      assert.match(response.body.detail, new RegExp(await latestMigrationName()));
      assert.equal((await get(service, '/healthz')).status, 200);
    } finally {
      await service.close();
      await runAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  test('a database at an older migration is 503 naming both migrations', async () => {
    const database: TestDatabase = await createTestDatabase(2);
    const service = await serviceOn(database.url);
    try {
      assert.equal((await get(service, '/readyz')).status, 200);
      await database.pool.query(`UPDATE pgmigrations SET name = '1700000000000_older'`);
      const response = await get(service, '/readyz');
      assertProblem(response, 503, 'service_unavailable');
      assert.match(response.body.detail, /database schema is at 1700000000000_older, expected /);
    } finally {
      await service.close();
      await database.drop();
    }
  });
});

describe('readiness when the database is unreachable', () => {
  let database: TestDatabase;
  let proxy: CuttableProxy;
  let service: Service;
  before(async () => {
    database = await createTestDatabase(2);
    const direct = new URL(database.url);
    proxy = new CuttableProxy(await freePort(), { host: direct.hostname, port: Number(direct.port) });
    await proxy.open();
    const proxied = new URL(database.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    service = await serviceOn(proxied.toString());
  });
  after(async () => {
    await service.close();
    await proxy.cut();
    await database.drop();
  });

  test('503 while the database is cut off, then 200 again by itself once it is back', async () => {
    assert.equal((await get(service, '/readyz')).status, 200);
    await proxy.cut();

    const ready = await get(service, '/readyz');
    assertProblem(ready, 503, 'service_unavailable');
    assert.equal(ready.body.detail, 'database unreachable');
    const read = await get(service, '/v1/accounts/0190a000-0000-7000-8000-000000000000');
    assertProblem(read, 503, 'service_unavailable');
    assert.equal((await get(service, '/healthz')).status, 200);

    await proxy.open();
    assert.equal((await get(service, '/readyz')).status, 200);
    const opened = await service.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json', 'idempotency-key': newKey() },
      payload: '{"currency":"USD"}',
    });
    assert.equal(opened.statusCode, 201);
  });
});
