// Proves that while RabbitMQ is down committed events wait in the outbox (no attempts burnt, no
// relay exit) and that after it restarts the relay reconnects by itself and delivers every one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startLocalBroker, type LocalBroker } from '../support/rabbitmqServer.js';
import { countUnpublished, delay, insertEvents, QueueCollector, relayEnvironment, settingsFrom, startRelay, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

// Long, so that only the broker's reconnect (not the backstop poll) can restart the draining.
const POLL_INTERVAL_MS = 60_000;

let database: TestDatabase;
let broker: LocalBroker;

before(async () => {
  [database, broker] = await Promise.all([createTestDatabase(), startLocalBroker()]);
});

after(async () => {
  await Promise.all([database.drop(), broker.stop()]);
});

test('events committed during a broker outage wait, then all arrive after it restarts', { timeout: TEST_TIMEOUT_MS }, async () => {
  const settings = settingsFrom(
    relayEnvironment(database, { BROKER_URL: broker.url, OUTBOX_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS), OUTBOX_PUBLISH_TIMEOUT_MS: '2000' }),
  );
  const collector = await QueueCollector.start(broker.url, settings, ['#']);
  const relay = await startRelay(settings);
  try {
    const beforeOutage = await insertEvents(database.pool, 50);
    await waitFor('events before the outage', () => collector.hasAll(beforeOutage), 15_000);

    await broker.halt();
    const duringOutage: string[] = [];
    for (let write = 0; write < 10; write += 1) {
      duringOutage.push(...(await insertEvents(database.pool, 20)));
      await delay(50);
    }
    await delay(1_000);
    assert.equal(await countUnpublished(database.pool), duringOutage.length, 'events written during the outage wait in the outbox');
    const burnt = await database.pool.query('SELECT 1 FROM outbox WHERE attempts > 0');
    assert.equal(burnt.rowCount, 0, 'an outage the relay knows about costs no publish attempts');

    await broker.start();
    await waitFor('every event written during the outage', () => collector.hasAll(duringOutage), 30_000);
    await waitFor('the outbox marked them published', async () => (await countUnpublished(database.pool)) === 0, 5_000);
    assert.ok(collector.hasAll(beforeOutage));
  } finally {
    await relay.stop();
    await collector.close();
  }
});
