// Proves that a pool keeps `keptConnections` open past its idle timeout and closes the rest, so a
// partition's connection survives a quiet spell.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool } from '../../src/db/pool.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const IDLE_TIMEOUT_MS = 100;

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase(1);
});
after(() => database.drop());

async function openedAfterIdle(keptConnections: number): Promise<number> {
  const pool = createPool(database.url, 3, { keptConnections, idleTimeoutMs: IDLE_TIMEOUT_MS });
  try {
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    for (const client of clients) client.release();
    await sleep(IDLE_TIMEOUT_MS * 5);
    return pool.totalCount;
  } finally {
    await pool.end();
  }
}

test('idle connections above the kept ones are closed; the kept ones stay open', async () => {
  assert.equal(await openedAfterIdle(0), 0);
  assert.equal(await openedAfterIdle(2), 2);
});
