// Proves that the relay's metrics count what it did: events published, publish times, wake-ups by
// cause, nacked publishes by reason and dead letters, and that the sampled outbox gauges (backlog,
// oldest age, dead letters) follow the outbox.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createPool } from '../../src/db/pool.js';
import { startMetricsServer } from '../../src/metrics/metricsServer.js';
import { RelayMetrics } from '../../src/metrics/relayMetrics.js';
import { silentLogger } from '../../src/logger.js';
import { brokerUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertEvents, QueueCollector, relayEnvironment, settingsFrom, startRelay, waitFor, TEST_TIMEOUT_MS } from '../relay/relayFixture.js';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
});
after(() => database.drop());

function value(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}${labels} `));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('published, refused and dead-lettered events, wake-ups and the outbox state show in the relay metrics', { timeout: TEST_TIMEOUT_MS }, async () => {
  const settings = settingsFrom(relayEnvironment(database, { OUTBOX_MAX_ATTEMPTS: '2', OUTBOX_BACKOFF_BASE_MS: '20', OUTBOX_BACKOFF_MAX_MS: '50' }));
  const collector = await QueueCollector.start(brokerUrl(), settings, ['ledger.deposit.posted']);
  const refusing = `${settings.exchange}.refusing`;
  await collector.withChannel(async (channel) => {
    await channel.assertQueue(refusing, { durable: false, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
    await channel.bindQueue(refusing, settings.exchange, 'ledger.withdrawal.posted');
  });
  // Waiting before the relay starts: the first sample sees them.
  await insertEvents(database.pool, 4, 'deposit.posted');
  const metrics = new RelayMetrics();
  const samplerPool = createPool(database.url, 1);
  await metrics.startSampling(samplerPool, silentLogger);
  const server = await startMetricsServer(() => metrics.exposition(), 0, '127.0.0.1');
  const scrape = async () => (await fetch(server.url)).text();
  try {
    const before = await scrape();
    assert.equal(value(before, 'wallet_ledger_outbox_backlog'), 4);
    assert.ok(value(before, 'wallet_ledger_outbox_oldest_age_seconds') >= 0);
    assert.equal(value(before, 'wallet_ledger_outbox_dead_letters'), 0);

    const relay = await startRelay(settings, metrics.hooks());
    try {
      const accepted = await insertEvents(database.pool, 3, 'deposit.posted');
      await insertEvents(database.pool, 2, 'withdrawal.posted');
      await waitFor('the deposits delivered', () => collector.hasAll(accepted), 10_000);
      await waitFor('the withdrawals dead-lettered', async () => (await database.pool.query('SELECT 1 FROM dead_letter')).rowCount === 2, 10_000);
      // One more, committed while the relay sleeps: its notification wakes it.
      const late = await insertEvents(database.pool, 1, 'deposit.posted');
      await waitFor('the late deposit delivered', () => collector.hasAll(late), 10_000);
    } finally {
      await relay.stop();
    }
    const text = await scrape();
    assert.equal(value(text, 'wallet_ledger_relay_events_published_total'), 8);
    assert.equal(value(text, 'wallet_ledger_relay_dead_lettered_total'), 2);
    // Two attempts each for two refused events.
    assert.equal(value(text, 'wallet_ledger_relay_publish_failures_total', '{reason="nacked"}'), 4);
    // The first batch, the refused events' second attempt and the late deposit: at least three publishes.
    assert.ok(value(text, 'wallet_ledger_relay_publish_seconds_count') >= 3);
    assert.ok(value(text, 'wallet_ledger_relay_wakeups_total', '{cause="notify"}') >= 1);
    await waitFor('the sampler sees the dead letters', async () => value(await scrape(), 'wallet_ledger_outbox_dead_letters') === 2, 15_000);
    const after = await scrape();
    assert.equal(value(after, 'wallet_ledger_outbox_backlog'), 0);
    assert.equal(value(after, 'wallet_ledger_outbox_oldest_age_seconds'), 0);
  } finally {
    metrics.stopSampling();
    await server.close();
    await samplerPool.end();
    await collector.close();
  }
});
