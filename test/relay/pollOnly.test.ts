// Proves that OUTBOX_LISTEN=false leaves the relay without a LISTEN connection, and that its poll
// alone still publishes every committed event.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LISTENER_APPLICATION_NAME } from '../../src/relay/notificationListener.js';
import { brokerUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertEvents, QueueCollector, relayEnvironment, settingsFrom, startRelay, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

const POLL_INTERVAL_MS = 200;

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database.drop();
});

test('a relay with OUTBOX_LISTEN=false does not listen and publishes by polling', { timeout: TEST_TIMEOUT_MS }, async () => {
  const settings = settingsFrom(relayEnvironment(database, { OUTBOX_LISTEN: 'false', OUTBOX_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS) }));
  assert.equal(settings.listen, false);
  const collector = await QueueCollector.start(brokerUrl(), settings, ['#']);
  const relay = await startRelay(settings);
  try {
    const first = await insertEvents(database.pool, 1);
    await waitFor('the first event', () => collector.hasAll(first), 10_000);
    const later = await insertEvents(database.pool, 20);
    await waitFor('events found by the poll', () => collector.hasAll(later), 10 * POLL_INTERVAL_MS);
    const listeners = await database.pool.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
      [LISTENER_APPLICATION_NAME],
    );
    assert.equal(listeners.rows[0]!.count, 0);
  } finally {
    await relay.stop();
    await collector.close();
  }
});
