// Proves that terminating every database session of a running relay (its drain transaction, idle
// in the middle of publishing, and its listener) neither crashes it nor loses an event: it
// reconnects by itself and delivers everything, some events twice at most.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { brokerUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { countUnpublished, delay, terminateSessions, insertEvents, QueueCollector, relayEnvironment, settingsFrom, startRelay, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database.drop();
});

test('a relay whose database sessions are all terminated mid-stream recovers and loses nothing', { timeout: TEST_TIMEOUT_MS }, async () => {
  const settings = settingsFrom(relayEnvironment(database, { OUTBOX_BATCH_SIZE: '200', OUTBOX_POLL_INTERVAL_MS: '60000' }));
  const collector = await QueueCollector.start(brokerUrl(), settings, ['#']);
  const relay = await startRelay(settings);
  const written: string[] = [];
  let writing = true;
  const writer = (async () => {
    while (writing) {
      written.push(...(await insertEvents(database.pool, 200)));
      await delay(5);
    }
  })();
  try {
    let terminated = 0;
    for (let round = 0; round < 5; round += 1) {
      await delay(250);
      terminated += await terminateSessions(database.pool, 'wallet-ledger-outbox-%');
    }
    assert.ok(terminated >= 5, `sessions terminated: ${terminated}`);
    writing = false;
    await writer;
    await waitFor(`all ${written.length} events delivered`, () => collector.hasAll(written), 30_000);
    await waitFor('every row marked published', async () => (await countUnpublished(database.pool)) === 0, 10_000);
  } finally {
    writing = false;
    await writer;
    await relay.stop();
    await collector.close();
  }
});
