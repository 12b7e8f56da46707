// Proves a write whose COMMIT outcome the service cannot know (the connection drops while COMMIT
// is in flight) is resolved before answering: applied exactly once whether the database committed
// it or not, and answered 201 either way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { CommitCuttingProxy, type CutMode } from '../support/commitCuttingProxy.js';

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

async function depositThroughCut(mode: CutMode): Promise<void> {
  const account = await fundedAccount(api, 'USD', 0n);
  proxy.arm(mode);
  const cutsBefore = proxy.cuts;
  const key = newKey();
  const response = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '70' }, idempotencyKey: key });
  assert.equal(proxy.cuts, cutsBefore + 1, 'the COMMIT was cut');
  assert.equal(response.status, 201, response.raw);
  const rows = await database.pool.query(
    `SELECT (SELECT balance::text FROM accounts WHERE id = $1) AS balance,
            (SELECT count(*)::int FROM ledger_entries WHERE account_id = $1) AS entries,
            (SELECT count(*)::int FROM idempotency_keys WHERE key = $2) AS keys`,
    [account, key],
  );
  assert.deepEqual(rows.rows[0], { balance: '70', entries: 1, keys: 1 });
  const replay = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '70' }, idempotencyKey: key });
  assert.equal(replay.raw, response.raw);
}

test('connection lost after the database committed: the service finds the commit and answers it', () => depositThroughCut('after-commit'));

test('connection lost before the database saw COMMIT: the service runs the batch again, once', () => depositThroughCut('before-commit'));
