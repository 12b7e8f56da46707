// Proves that when RabbitMQ is stopped and restarted mid-load, writes go on being acknowledged,
// their events wait in the outbox, and afterwards every acknowledged transaction's event is
// delivered to the consumer (duplicates allowed, losses not), with the bank's invariants intact.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestDatabase } from '../support/database.js';
import { startLocalBroker } from '../support/rabbitmqServer.js';
import { acknowledgedBetween, atShareOfLoad, caseTimeoutMs, countUnpublished, runBankCase } from './bankHarness.js';
import { delay } from './bankWorkload.js';

const BROKER_OUTAGE_MS = 3_000;

test('RabbitMQ stopped and restarted mid-load: no event lost', { timeout: caseTimeoutMs() }, async (t) => {
  const [database, broker] = await Promise.all([createTestDatabase(5), startLocalBroker()]);
  const outage = { haltedAt: 0, restartingAt: 0, unpublishedAtRestart: 0 };
  try {
    const { report, records } = await runBankCase(t, { databaseUrl: database.url, pool: database.pool, brokerUrl: broker.url }, {
      label: 'broker-outage',
      fault: async (context) => {
        await atShareOfLoad(context, 0.3);
        await broker.halt();
        outage.haltedAt = Date.now();
        await delay(BROKER_OUTAGE_MS);
        outage.unpublishedAtRestart = await countUnpublished(database.pool);
        outage.restartingAt = Date.now();
        await broker.start();
      },
    });
    const acknowledgedWhileDown = acknowledgedBetween(records, outage.haltedAt, outage.restartingAt);
    t.diagnostic(`broker outage: ${acknowledgedWhileDown} operations acknowledged while it was down, ${outage.unpublishedAtRestart} events waiting at its restart`);
    assert.ok(acknowledgedWhileDown > 0, 'writes went on being acknowledged while the broker was down');
    assert.ok(outage.unpublishedAtRestart > 0, 'events waited in the outbox for the broker');
    assert.ok(report.eventsUnique >= report.counts.acknowledged);
  } finally {
    await Promise.all([database.drop(), broker.stop()]);
  }
});
