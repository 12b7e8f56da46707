// Proves that in normal operation every committed outbox event reaches a bound queue exactly once,
// as a persistent, signed CloudEvents message, and that an event no queue is bound for is kept.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SIGNATURE_HEADER, verifyBodySignature } from '../../src/relay/signature.js';
import { unroutedName } from '../../src/relay/topology.js';
import { brokerUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { EVENT_SUBJECT_SQL, renderedEvents } from '../support/outboxEvents.js';
import { countUnpublished, delay, insertEvents, postLedgerEvents, QueueCollector, relayEnvironment, settingsFrom, startRelay, TEST_SECRET_KEY, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database.drop();
});

test('every committed event is delivered once, with the contract message properties', { timeout: TEST_TIMEOUT_MS }, async () => {
  const settings = settingsFrom(relayEnvironment(database, { OUTBOX_BATCH_SIZE: '100' }));
  const collector = await QueueCollector.start(brokerUrl(), settings, ['ledger.#']);
  const relay = await startRelay(settings);
  try {
    const eventIds = [
      ...(await insertEvents(database.pool, 400, 'deposit.posted')),
      ...(await insertEvents(database.pool, 300, 'transfer.posted')),
      ...(await insertEvents(database.pool, 200, 'withdrawal.posted')),
      ...(await insertEvents(database.pool, 100, 'account.created')),
      ...Object.values(await postLedgerEvents(database.pool, 50)).flat(),
    ];
    await waitFor('all events delivered', () => collector.hasAll(eventIds), 20_000);
    // Give a duplicate time to show up before counting.
    await delay(500);
    assert.equal(collector.messages.length, eventIds.length, 'each event delivered exactly once');
    // A consumer can see a message before its confirm reaches the relay: wait for the marks.
    await waitFor('every row marked published', async () => (await countUnpublished(database.pool)) === 0, 5_000);

    const stored = await database.pool.query<{ subject: string; published: boolean; attempts: number }>(
      `SELECT ${EVENT_SUBJECT_SQL} AS subject, published_at IS NOT NULL AS published, attempts FROM outbox`,
    );
    assert.ok(stored.rows.every((row) => row.published && row.attempts === 0), 'every row marked published on first attempt');
    // What is stored, with a posting's or a hold's event rendered from the rows it names.
    const expected = await renderedEvents(database.pool, stored.rows.map((row) => row.subject));
    const bodyById = new Map(expected.map((event) => [event.envelope.id, event.body]));
    assert.equal(expected.filter((event) => event.envelope.data && (event.envelope.data as { entries?: unknown[] }).entries?.length === 2).length, 51);
    assert.equal(expected.filter((event) => event.eventType === 'hold.created' && (event.envelope.data as { status: string }).status === 'pending').length, 50);

    for (const message of collector.messages) {
      const { properties, fields, content } = message;
      const envelope = JSON.parse(content.toString('utf8')) as { id: string; type: string; specversion: string };
      assert.equal(content.toString('utf8'), bodyById.get(properties.messageId), 'body is the stored (or rendered) envelope');
      assert.equal(envelope.specversion, '1.0');
      assert.equal(properties.messageId, envelope.id);
      assert.equal(properties.type, envelope.type);
      assert.equal(fields.routingKey, `ledger.${envelope.type}`);
      assert.equal(properties.contentType, 'application/json');
      assert.equal(properties.deliveryMode, 2, 'persistent');
      assert.equal(typeof properties.timestamp, 'number');
      assert.ok(verifyBodySignature(TEST_SECRET_KEY, content, properties.headers?.[SIGNATURE_HEADER]), 'signature verifies');
    }
  } finally {
    await relay.stop();
    await collector.close();
  }
});

test('an event no queue is bound for waits in the unrouted queue instead of being dropped', { timeout: TEST_TIMEOUT_MS }, async () => {
  const settings = settingsFrom(relayEnvironment(database));
  const collector = await QueueCollector.start(brokerUrl(), settings, ['ledger.deposit.posted']);
  const relay = await startRelay(settings);
  try {
    const [unboundId] = await insertEvents(database.pool, 1, 'account.created');
    const [boundId] = await insertEvents(database.pool, 1, 'deposit.posted');
    await waitFor('the bound event delivered', () => collector.hasAll([boundId!]), 10_000);
    const kept = await collector.withChannel(async (channel) => {
      let message = await channel.get(unroutedName(settings.exchange), { noAck: true });
      for (let tries = 0; message === false && tries < 100; tries += 1) {
        await delay(50);
        message = await channel.get(unroutedName(settings.exchange), { noAck: true });
      }
      return message;
    });
    assert.ok(kept, 'the unrouted queue holds the event');
    assert.equal(kept.properties.messageId, unboundId);
    assert.equal(collector.uniqueEventIds().has(unboundId!), false);
  } finally {
    await relay.stop();
    await collector.close();
  }
});
