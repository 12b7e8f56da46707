// Proves multi-leg transactions whose legs touch accounts of several partitions, posted
// concurrently through two service processes on one database (in opposite account orders, among
// plain transfers over the same accounts), never deadlock or fail unexpectedly: each is applied
// whole or refused whole, every ledger invariant holds, and each currency's money is conserved.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionOf } from '../../partitions/partitionedWriter.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { httpRequest, startServerProcess, type ServerProcess } from '../support/serverProcess.js';

const PARTITIONS = 4;
const WALLETS = 8;
const REQUESTS = 300;

let database: TestDatabase;
let replicas: ServerProcess[];

before(async () => {
  database = await createTestDatabase();
  replicas = await Promise.all([
    startServerProcess(database.url, { PARTITIONS: String(PARTITIONS), PARTITION_MODE: 'inline' }),
    startServerProcess(database.url, { PARTITIONS: String(PARTITIONS), PARTITION_MODE: 'worker' }),
  ]);
});
after(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await database.drop();
});

async function openFunded(url: string, currency: string, amount: string, key: string): Promise<string> {
  const opened = await httpRequest(url, 'POST', '/v1/accounts', { currency });
  const funded = await httpRequest(url, 'POST', '/v1/transactions/deposit', { account_id: opened.body.id, amount }, key);
  assert.equal(funded.status, 201);
  return opened.body.id;
}

test('multi-leg transactions across partitions through two replicas apply whole or not at all, without deadlocks', async () => {
  const [first, second] = replicas.map((replica) => replica.url) as [string, string];
  const usd: string[] = [];
  for (let index = 0; index < WALLETS; index++) usd.push(await openFunded(first, 'USD', '300', `multi-leg-fund-${index}`));
  const eur = [await openFunded(second, 'EUR', '300', 'multi-leg-fund-eur-0'), await openFunded(second, 'EUR', '300', 'multi-leg-fund-eur-1')];
  assert.ok(new Set(usd.map((id) => partitionOf(id, PARTITIONS))).size > 1, 'the wallets lie in several partitions');

  const requests = Array.from({ length: REQUESTS }, (_, index) => {
    const replica = index % 2 === 0 ? first : second;
    const at = (offset: number) => usd[(index + offset) % WALLETS]!;
    if (index % 3 === 2) {
      return httpRequest(replica, 'POST', '/v1/transactions/transfer', { source_account_id: at(3), destination_account_id: at(0), amount: '7' }, `multi-leg-transfer-${index}`);
    }
    // A ring over three wallets, walked forwards or backwards, and a leg in another currency.
    const ring = index % 2 === 0 ? [at(0), at(1), at(2)] : [at(2), at(1), at(0)];
    const amount = String(5 + (index % 40));
    const legs = [
      { source_account_id: ring[0], destination_account_id: ring[1], amount },
      { source_account_id: ring[1], destination_account_id: ring[2], amount: String(Number(amount) + 3) },
      { source_account_id: ring[2], destination_account_id: ring[0], amount: '1' },
      { source_account_id: eur[index % 2], destination_account_id: eur[(index + 1) % 2], amount: '2', currency: 'EUR' },
    ];
    return httpRequest(replica, 'POST', '/v1/transactions', { legs }, `multi-leg-${index}`);
  });
  const responses = await Promise.all(requests);
  const statuses = responses.map((response) => response.status);
  assert.ok(statuses.every((status) => status === 201 || status === 422), `unexpected statuses ${[...new Set(statuses)]}`);
  const posted = responses.filter((response, index) => index % 3 !== 2 && response.status === 201);
  assert.ok(posted.length > REQUESTS / 3, `only ${posted.length} multi-leg transactions posted`);
  for (const response of posted) assert.equal(response.body.entries.length, 8);
  assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool)), []);
  const totals = await database.pool.query(`SELECT currency, sum(balance)::text AS total FROM accounts WHERE kind = 'user' GROUP BY currency ORDER BY currency`);
  assert.deepEqual(totals.rows, [{ currency: 'EUR', total: '600' }, { currency: 'USD', total: String(300 * WALLETS) }]);
  const multiLeg = await database.pool.query(`SELECT count(*)::int AS count FROM ledger_transactions WHERE type = 'multi_leg'`);
  assert.equal(multiLeg.rows[0].count, posted.length, 'each refused one applied nothing');
});
