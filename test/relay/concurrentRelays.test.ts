// Proves that relays running side by side split the outbox between them: every event is delivered,
// exactly once, and no row is ever claimed by two relays at the same time.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BatchOutcome } from '../../src/relay/drainBatch.js';
import { claimDueEvents } from '../../src/relay/sql/claimDueEvents.js';
import { brokerUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { delay, insertEvents, QueueCollector, relayEnvironment, settingsFrom, startRelay, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database.drop();
});

test('claims held by one transaction are skipped by another', { timeout: TEST_TIMEOUT_MS }, async () => {
  await insertEvents(database.pool, 30);
  const first = await database.pool.connect();
  const second = await database.pool.connect();
  try {
    await first.query('BEGIN');
    await second.query('BEGIN');
    const firstClaim = await claimDueEvents(first, 20);
    const secondClaim = await claimDueEvents(second, 20);
    assert.equal(firstClaim.length, 20);
    assert.equal(secondClaim.length, 10, 'the second claim gets only what the first does not hold');
    const firstIds = new Set(firstClaim.map((row) => row.id));
    assert.ok(secondClaim.every((row) => !firstIds.has(row.id)), 'no row in both claims');
  } finally {
    await first.query('ROLLBACK');
    await second.query('ROLLBACK');
    first.release();
    second.release();
    await database.pool.query('DELETE FROM outbox');
  }
});

test('two relays at once deliver every event once and never publish the same row', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const settings = settingsFrom(relayEnvironment(database, { OUTBOX_BATCH_SIZE: '50', OUTBOX_POLL_INTERVAL_MS: '1000' }));
  const collector = await QueueCollector.start(brokerUrl(), settings, ['#']);
  const publishedBy: [string[], string[]] = [[], []];
  const watch = (index: 0 | 1) => ({ onBatch: (outcome: BatchOutcome) => publishedBy[index].push(...outcome.published) });
  const relays = await Promise.all([startRelay(settings, watch(0), 'relay A'), startRelay(settings, watch(1), 'relay B')]);
  try {
    const eventIds: string[] = [];
    for (let write = 0; write < 40; write += 1) {
      eventIds.push(...(await insertEvents(database.pool, 100)));
      await delay(5);
    }
    await waitFor('all 4000 events delivered', () => collector.hasAll(eventIds), 30_000);
    await delay(500);

    assert.equal(collector.messages.length, eventIds.length, 'each event delivered exactly once');
    const [byA, byB] = publishedBy;
    const setA = new Set(byA);
    assert.equal(byB.filter((id) => setA.has(id)).length, 0, 'no event published by both relays');
    assert.equal(byA.length + byB.length, eventIds.length, 'every event published by one relay');
    t.diagnostic(`relay A published ${byA.length}, relay B ${byB.length}`);
    assert.ok(byA.length > 0 && byB.length > 0, `both relays worked (A: ${byA.length}, B: ${byB.length})`);
  } finally {
    await Promise.all(relays.map((relay) => relay.stop()));
    await collector.close();
  }
});
