// Proves runAsOneTransaction commits its statements together at one Sync, answered in one read;
// that a failing statement rolls back those before it and leaves the connection usable outside any
// transaction; that a value which cannot be converted sends nothing; and that a connection already
// inside a transaction block is refused instead of reported committed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { mustDiscardConnection, runAsOneTransaction, type PreparedStatement } from '../../src/db/oneSyncTransaction.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase(4);
  await database.pool.query('CREATE TABLE scratch (id int PRIMARY KEY, note text NOT NULL)');
});
after(() => database.drop());

const insert = (id: number, note: unknown = `row ${id}`): PreparedStatement => ({
  name: 'scratch_insert',
  text: 'INSERT INTO scratch (id, note) VALUES ($1, $2)',
  values: [id, note],
});
const append = (id: number): PreparedStatement => ({
  name: 'scratch_append',
  text: `UPDATE scratch SET note = note || '+' WHERE id = $1`,
  values: [id],
});

async function idsPresent(ids: number[]): Promise<number[]> {
  const result = await database.pool.query<{ id: number }>('SELECT id FROM scratch WHERE id = ANY($1::int[]) ORDER BY id', [ids]);
  return result.rows.map((row) => row.id);
}

async function withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await database.pool.connect();
  try {
    return await work(client);
  } finally {
    client.release();
  }
}

/** The socket reads the client makes while `work` runs. */
async function readsDuring(client: pg.PoolClient, work: () => Promise<void>): Promise<number> {
  const stream = (client as unknown as { connection: { stream: NodeJS.EventEmitter } }).connection.stream;
  let reads = 0;
  const count = () => reads++;
  stream.on('data', count);
  try {
    await work();
  } finally {
    stream.off('data', count);
  }
  return reads;
}

test('commits every statement at the Sync, and the server answers them all in one read', async () => {
  await withClient(async (client) => {
    const reads = await readsDuring(client, () => runAsOneTransaction(client, [insert(1), insert(2), append(1)]));
    assert.equal(reads, 1);
    assert.equal(client.getTransactionStatus(), 'I');
    // The statements are parsed on this connection now, and run again under their names.
    await runAsOneTransaction(client, [insert(3), append(3)]);
  });
  assert.deepEqual(await idsPresent([1, 2, 3]), [1, 2, 3]);
  const notes = await database.pool.query(`SELECT note FROM scratch WHERE id IN (1, 3) ORDER BY id`);
  assert.deepEqual(notes.rows, [{ note: 'row 1+' }, { note: 'row 3+' }]);
});

test('a failing statement rolls back those before it; the connection stays usable outside any transaction', async () => {
  await database.pool.query(`INSERT INTO scratch (id, note) VALUES (10, 'taken')`);
  await withClient(async (client) => {
    await runAsOneTransaction(client, [insert(9)]);
    const failure = await runAsOneTransaction(client, [insert(11), append(11), insert(10)]).then(
      () => assert.fail('the duplicate key was accepted'),
      (error: unknown) => error,
    );
    assert.equal((failure as { code?: string }).code, '23505');
    assert.equal(mustDiscardConnection(failure), false, 'every statement had been parsed before');
    await client.query(`INSERT INTO scratch (id, note) VALUES (12, 'after')`);
    assert.equal(client.getTransactionStatus(), 'I');
  });
  assert.deepEqual(await idsPresent([9, 10, 11, 12]), [9, 10, 12]);
});

test('a failure in a call that parsed statements asks for the connection to be discarded', async () => {
  await withClient(async (client) => {
    const failure = await runAsOneTransaction(client, [{ name: 'scratch_broken', text: 'SELEC 1', values: [] }]).then(
      () => assert.fail('the syntax error was accepted'),
      (error: unknown) => error,
    );
    assert.equal((failure as { code?: string }).code, '42601');
    assert.equal(mustDiscardConnection(failure), true);
  });
});

test('a value that cannot be converted sends nothing', async () => {
  const unconvertible = {
    toPostgres() {
      throw new Error('cannot convert');
    },
  };
  await withClient(async (client) => {
    await assert.rejects(runAsOneTransaction(client, [insert(20), insert(21, unconvertible)]), /cannot convert/);
    // Nothing half-sent is waiting on the server for a Sync that the next query would supply.
    await client.query(`INSERT INTO scratch (id, note) VALUES (22, 'next')`);
    assert.equal(client.getTransactionStatus(), 'I');
  });
  assert.deepEqual(await idsPresent([20, 21, 22]), [22]);
});

test('inside a transaction block the statements are not reported committed', async () => {
  await withClient(async (client) => {
    await client.query('BEGIN');
    await assert.rejects(runAsOneTransaction(client, [insert(30)]), /inside a transaction block/);
    await client.query('ROLLBACK');
  });
  assert.deepEqual(await idsPresent([30]), []);
});
