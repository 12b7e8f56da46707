// Proves a write whose commit outcome the service cannot know (the connection drops while the
// commit is in flight) is resolved before answering: applied exactly once whether the database
// committed it or not, and answered 201 either way; on both of the write path's ways to commit
// (a COMMIT statement after two round trips, the one statement of a one-round-trip batch), and for
// a settings change without a key, found by its history row.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../src/ids.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { CommitCuttingProxy, type CommitPoint, type CutMode } from '../support/commitCuttingProxy.js';

let database: TestDatabase;
let proxy: CommitCuttingProxy;
let api: TestService;

before(async () => {
  // The service reaches its database only through the proxy.
  database = await createTestDatabase();
  const direct = new URL(database.url);
  proxy = new CommitCuttingProxy({ host: direct.hostname, port: Number(direct.port) });
  const proxied = new URL(database.url);
  proxied.port = String(await proxy.listen());
  api = await startTestService({ DATABASE_URL: proxied.toString(), PARTITIONS: '1' });
});
after(async () => {
  await api.close();
  await proxy.close();
  await database.drop();
});

/** Opened behind the service's back: its first batch reads the row, in two round trips. */
async function accountTheServiceNeverSaw(): Promise<string> {
  const id = newId();
  await database.pool.query(`INSERT INTO accounts (id, kind, currency, created_at, updated_at) VALUES ($1, 'user', 'USD', now(), now())`, [id]);
  return id;
}

async function depositThroughCut(mode: CutMode, point: CommitPoint): Promise<void> {
  const account = point === 'one-statement' ? await fundedAccount(api, 'USD', 0n) : await accountTheServiceNeverSaw();
  // A batch plans in one round trip against rows its partition has written before.
  let expectedBalance = 70n;
  if (point === 'one-statement') {
    const warmUp = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '30' }, idempotencyKey: newKey() });
    assert.equal(warmUp.status, 201, warmUp.raw);
    expectedBalance += 30n;
  }
  proxy.arm(mode);
  const cutsBefore = proxy.cuts;
  const key = newKey();
  const response = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '70' }, idempotencyKey: key });
  assert.equal(proxy.cuts, cutsBefore + 1, 'the commit was cut');
  assert.equal(proxy.lastCut, point);
  assert.equal(response.status, 201, response.raw);
  const rows = await database.pool.query(
    `SELECT (SELECT balance::text FROM accounts WHERE id = $1) AS balance,
            (SELECT count(*)::int FROM ledger_entries WHERE account_id = $1) AS entries,
            (SELECT count(*)::int FROM idempotency_keys WHERE key = $2) AS keys`,
    [account, key],
  );
  assert.deepEqual(rows.rows[0], { balance: expectedBalance.toString(), entries: point === 'one-statement' ? 2 : 1, keys: 1 });
  const replay = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '70' }, idempotencyKey: key });
  assert.equal(replay.raw, response.raw);
}

test('connection lost after the database committed: the service finds the commit and answers it', () => depositThroughCut('after-commit', 'commit-statement'));

test('connection lost before the database saw the write and COMMIT: the service runs the batch again, once', () => depositThroughCut('before-commit', 'commit-statement'));

test('one round trip, connection lost after the database committed the statement: the service finds the commit', () => depositThroughCut('after-commit', 'one-statement'));

test('one round trip, connection lost before the database saw the batch: the service runs it again, once', () => depositThroughCut('before-commit', 'one-statement'));

/** A PATCH without an Idempotency-Key: its history row is what tells whether it committed. */
async function freezeThroughCut(mode: CutMode): Promise<void> {
  const account = await fundedAccount(api, 'USD', 0n);
  // Run again after it committed, the change would find its If-Match stale (412): the history row tells.
  const etag = String((await api.request('GET', `/v1/accounts/${account}`)).headers.etag);
  proxy.arm(mode);
  const cutsBefore = proxy.cuts;
  const response = await api.request('PATCH', `/v1/accounts/${account}`, { body: { status: 'frozen' }, headers: { 'if-match': etag } });
  assert.equal(proxy.cuts, cutsBefore + 1, 'the commit was cut');
  assert.equal(response.status, 200, response.raw);
  assert.equal(response.body.status, 'frozen');
  const rows = await database.pool.query(
    `SELECT (SELECT status FROM accounts WHERE id = $1) AS status, (SELECT version::int FROM accounts WHERE id = $1) AS version,
            (SELECT count(*)::int FROM account_history WHERE account_id = $1) AS changes`,
    [account],
  );
  assert.deepEqual(rows.rows[0], { status: 'frozen', version: 1, changes: 1 });
}

test('a settings change without a key, connection lost after the database committed: found by its history row', () => freezeThroughCut('after-commit'));

test('a settings change without a key, connection lost before the database saw it: run again, once', () => freezeThroughCut('before-commit'));
