// Proves two service processes on one database stay correct: concurrent transfers through both,
// in both directions over shared accounts, keep every ledger invariant and conserve money.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { httpRequest, startServerProcess, type ServerProcess } from '../support/serverProcess.js';

let database: TestDatabase;
let replicas: ServerProcess[];

before(async () => {
  database = await createTestDatabase();
  replicas = await Promise.all([
    startServerProcess(database.url, { PARTITIONS: '2' }),
    startServerProcess(database.url, { PARTITIONS: '2', PARTITION_MODE: 'worker' }),
  ]);
});
after(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await database.drop();
});

test('concurrent transfers through two replicas keep the ledger sound', async () => {
  const [first, second] = replicas.map((replica) => replica.url) as [string, string];
  const accounts: string[] = [];
  for (let index = 0; index < 5; index++) {
    const opened = await httpRequest(first, 'POST', '/v1/accounts', { currency: 'USD' });
    accounts.push(opened.body.id);
    const funded = await httpRequest(second, 'POST', '/v1/transactions/deposit', { account_id: opened.body.id, amount: '500' }, `fund-${index}`);
    assert.equal(funded.status, 201);
  }
  const requests = Array.from({ length: 400 }, (_, index) => {
    const source = accounts[index % 5]!;
    const destination = accounts[(index + 1 + (index % 3)) % 5]!;
    const replica = index % 2 === 0 ? first : second;
    return httpRequest(replica, 'POST', '/v1/transactions/transfer', {
      source_account_id: source, destination_account_id: destination, amount: String(1 + (index % 50)),
    }, `two-replicas-${index}`);
  });
  const responses = await Promise.all(requests);
  const statuses = responses.map((response) => response.status);
  assert.ok(statuses.every((status) => status === 201 || status === 422), `unexpected statuses ${[...new Set(statuses)]}`);
  assert.ok(statuses.filter((status) => status === 201).length > 200);
  assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool)), []);
  const total = await database.pool.query(`SELECT sum(balance)::text AS total FROM accounts WHERE kind = 'user'`);
  assert.equal(total.rows[0].total, '2500');
});
