// Proves that killing the relay's LISTEN backend mid-stream (pg_terminate_backend) loses nothing:
// the listener reconnects, drains on reconnect, and LISTENs again, long before the backstop poll.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { LISTENER_APPLICATION_NAME } from '../../src/relay/notificationListener.js';
import { brokerUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { delay, insertEvents, QueueCollector, relayEnvironment, settingsFrom, startRelay, terminateSessions, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

const POLL_INTERVAL_MS = 60_000;

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database.drop();
});

/** The listener's backend pid once it has issued LISTEN (its last query), else undefined. */
async function listeningPid(pool: pg.Pool): Promise<number | undefined> {
  const result = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = $1 AND query ILIKE 'LISTEN%'`,
    [LISTENER_APPLICATION_NAME],
  );
  return result.rows[0]?.pid;
}

test('events written while the listener backend is killed are all delivered, without the poll', { timeout: TEST_TIMEOUT_MS }, async () => {
  const settings = settingsFrom(relayEnvironment(database, { OUTBOX_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS) }));
  const collector = await QueueCollector.start(brokerUrl(), settings, ['#']);
  let reconnects = 0;
  const relay = await startRelay(settings, { onListenerReconnected: () => reconnects++ });
  const written: string[] = [];
  let writing = true;
  // A steady stream of commits, as from the API, while the listener is killed under it.
  const writer = (async () => {
    while (writing) {
      written.push(...(await insertEvents(database.pool, 5)));
      await delay(10);
    }
  })();
  try {
    await waitFor('the listener connected', async () => (await listeningPid(database.pool)) !== undefined, 10_000);
    for (let kill = 0; kill < 3; kill += 1) {
      await delay(300);
      const killedPid = await listeningPid(database.pool);
      assert.equal(await terminateSessions(database.pool, LISTENER_APPLICATION_NAME), 1, 'one listener backend terminated');
      await waitFor('a new listener backend', async () => ![undefined, killedPid].includes(await listeningPid(database.pool)), 10_000);
    }
    writing = false;
    await writer;
    await waitFor(`all ${written.length} streamed events delivered`, () => collector.hasAll(written), 10_000);

    // After the reconnects, a single new commit still wakes the relay: LISTEN is back in place.
    const afterwards = await insertEvents(database.pool, 1);
    await waitFor('an event committed after the reconnects', () => collector.hasAll(afterwards), 2_000);
    assert.equal(reconnects, 3, 'each reconnect is reported (the metrics count them)');
  } finally {
    writing = false;
    await writer;
    await relay.stop();
    await collector.close();
  }
});
