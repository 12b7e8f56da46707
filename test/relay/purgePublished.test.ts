// Proves that the retention purge deletes only published events older than the retention, in
// bounded chunks, and never an unpublished one however old.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { purgePublished } from '../../src/relay/sql/purgePublished.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertEvents, TEST_TIMEOUT_MS } from './relayFixture.js';

const DAY_MS = 24 * 60 * 60 * 1000;

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database.drop();
});

test('purges published events past retention, chunk by chunk, and nothing else', { timeout: TEST_TIMEOUT_MS }, async () => {
  const old = await insertEvents(database.pool, 5);
  const recent = await insertEvents(database.pool, 2);
  const pending = await insertEvents(database.pool, 2);
  await database.pool.query(`UPDATE outbox SET published_at = now() - interval '8 days' WHERE event_id = ANY($1::uuid[])`, [old]);
  await database.pool.query(`UPDATE outbox SET published_at = now() - interval '1 day' WHERE event_id = ANY($1::uuid[])`, [recent]);
  await database.pool.query(`UPDATE outbox SET created_at = now() - interval '30 days' WHERE event_id = ANY($1::uuid[])`, [pending]);

  assert.equal(await purgePublished(database.pool, 7 * DAY_MS, 3), 3, 'a chunk is at most the limit');
  assert.equal(await purgePublished(database.pool, 7 * DAY_MS, 3), 2);
  assert.equal(await purgePublished(database.pool, 7 * DAY_MS, 3), 0);
  const left = await database.pool.query<{ event_id: string }>('SELECT event_id::text FROM outbox ORDER BY id');
  assert.deepEqual(left.rows.map((row) => row.event_id), [...recent, ...pending]);
});
