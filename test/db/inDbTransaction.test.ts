// Proves inDbTransaction keeps a connection after the server refuses a statement, and drops one
// that reached a server that cannot write (a standby mid-failover), so the next transaction gets a
// new session instead of inheriting a useless one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { createPool, inDbTransaction } from '../../src/db/pool.js';
import { createTestDatabase, whileReadOnly, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
let pool: pg.Pool;

before(async () => {
  database = await createTestDatabase(2);
  await database.pool.query('CREATE TABLE notes (id int PRIMARY KEY)');
  pool = createPool(database.url, 1, { applicationName: 'wallet-ledger-test-in-transaction' });
});
after(async () => {
  await pool.end();
  await database.drop();
});

function backendPid(): Promise<number> {
  return inDbTransaction(pool, async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
}

test('a statement the server refuses rolls back and the connection is kept', async () => {
  const before = await backendPid();
  await inDbTransaction(pool, (client) => client.query('INSERT INTO notes VALUES (1)'));
  await assert.rejects(
    inDbTransaction(pool, (client) => client.query('INSERT INTO notes VALUES (1)')),
    (error: { code?: string }) => error.code === '23505',
  );
  assert.equal(await backendPid(), before);
});

test('a transaction on a server that only reads fails, and its session is not reused', async () => {
  // The one-connection pool's session was opened before the setting: close it, so the next one is read-only.
  (await pool.connect()).release(true);
  await whileReadOnly(database, () =>
    assert.rejects(
      inDbTransaction(pool, (client) => client.query('INSERT INTO notes VALUES (2)')),
      (error: { code?: string }) => error.code === '25006',
    ));
  await inDbTransaction(pool, (client) => client.query('INSERT INTO notes VALUES (2)'));
  const stored = await database.pool.query('SELECT id FROM notes ORDER BY id');
  assert.deepEqual(stored.rows, [{ id: 1 }, { id: 2 }]);
});
