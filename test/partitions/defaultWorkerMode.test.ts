// Proves that by default the partitions run in worker threads and serve the API end to end: writes
// are committed on the workers' own connections, and answers rendered there (created, rejected,
// replayed) reach the caller unchanged.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newKey, startTestService, type TestService } from '../support/service.js';

let api: TestService;

before(async () => {
  api = await startTestService({ PARTITIONS: '2' });
});
after(() => api.close());

test('the default partition mode is worker', () => {
  assert.equal(api.config.partitionMode, 'worker');
});

test('writes commit on the partition workers\' connections and their answers reach the caller as rendered there', async () => {
  const opened = await api.request('POST', '/v1/accounts', { body: { currency: 'USD' } });
  assert.equal(opened.status, 201);
  const key = newKey();
  const body = { account_id: opened.body.id, amount: '40' };
  const deposited = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
  assert.equal(deposited.status, 201);
  assert.equal(deposited.raw, (await api.request('GET', `/v1/transactions/${deposited.body.id}`)).raw);

  const replayed = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
  assert.equal(replayed.headers['idempotent-replayed'], 'true');
  assert.equal(replayed.raw, deposited.raw);

  const refused = await api.request('POST', '/v1/transactions/withdraw', { body: { account_id: opened.body.id, amount: '41' }, idempotencyKey: newKey() });
  assert.equal(refused.status, 422);
  assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
  assert.equal(refused.body.code, 'insufficient_funds');
  assert.equal(refused.body.available_balance, '40');

  // The workers keep their pools open between batches: their connections are the ones that wrote.
  const workers = await api.database.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'wallet-ledger-partition'`,
  );
  assert.ok(workers.rows[0]!.n >= 1, 'a partition worker holds a connection');
});
