// Proves that a commit wakes the relay through LISTEN/NOTIFY: events arrive in well under a
// second while the backstop poll is set to a minute.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { brokerUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { delay, insertEvents, QueueCollector, relayEnvironment, settingsFrom, startRelay, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

const POLL_INTERVAL_MS = 60_000;
const WAKE_UP_LATENCY_MAX_MS = 1_000;

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database.drop();
});

test('a committed event is published without waiting for the poll timer', { timeout: TEST_TIMEOUT_MS }, async () => {
  const settings = settingsFrom(relayEnvironment(database, { OUTBOX_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS) }));
  const collector = await QueueCollector.start(brokerUrl(), settings, ['#']);
  const relay = await startRelay(settings);
  try {
    // The first event may ride on the start-up drain; the measured ones can only be woken by NOTIFY.
    const warmUp = await insertEvents(database.pool, 1);
    await waitFor('the warm-up event', () => collector.hasAll(warmUp), 10_000);
    await delay(200);

    const latenciesMs: number[] = [];
    for (let sample = 0; sample < 5; sample += 1) {
      const committedAt = Date.now();
      const eventIds = await insertEvents(database.pool, 1 + sample * 10);
      await waitFor('the event published on NOTIFY', () => collector.hasAll(eventIds), POLL_INTERVAL_MS / 2);
      latenciesMs.push(Date.now() - committedAt);
      await delay(100);
    }
    const slowestMs = Math.max(...latenciesMs);
    assert.ok(slowestMs < WAKE_UP_LATENCY_MAX_MS, `commit-to-delivery took ${latenciesMs.join(', ')} ms`);
  } finally {
    await relay.stop();
    await collector.close();
  }
});
