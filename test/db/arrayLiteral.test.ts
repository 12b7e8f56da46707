// Proves that the array literals the write path builds by hand read back in PostgreSQL as the
// values they were built from: UUIDs, integers beyond a double's precision, negatives, NULLs and
// the empty array.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { unquotedArray } from '../../src/db/arrayLiteral.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase(2);
});
after(() => database.drop());

test('UUIDs and NULLs read back as uuid[]', async () => {
  const ids = ['0b5e6a1c-3f3e-4b8e-9d1a-2c7f0e9a1b2c', null, 'ffffffff-ffff-4fff-bfff-ffffffffffff'];
  const { rows } = await database.pool.query('SELECT $1::uuid[]::text[] AS ids', [unquotedArray(ids)]);
  assert.deepEqual(rows[0].ids, ids);
});

test('integers keep every digit as numeric[] and bigint[]', async () => {
  const values = [9_223_372_036_854_775_807n, -42n, 0n, 7];
  const literal = unquotedArray(values);
  const { rows } = await database.pool.query('SELECT $1::numeric[]::text[] AS n, $1::bigint[]::text[] AS b', [literal]);
  assert.deepEqual(rows[0].n, values.map(String));
  assert.deepEqual(rows[0].b, values.map(String));
});

test('an empty list is the empty array', async () => {
  const { rows } = await database.pool.query('SELECT cardinality($1::uuid[]) AS size', [unquotedArray([])]);
  assert.equal(rows[0].size, 0);
});
