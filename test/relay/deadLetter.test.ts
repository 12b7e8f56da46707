// Proves that an event the broker keeps refusing (a real nack, from a full queue with
// x-overflow=reject-publish) lands in dead_letter with its last error after OUTBOX_MAX_ATTEMPTS,
// without holding up other events, and that replay (the CLI and the SQL) publishes it.
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/paths.js';
import { replayDeadLetters } from '../../src/relay/sql/replayDeadLetters.js';
import { brokerUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { countUnpublished, insertEvents, postLedgerEvents, QueueCollector, relayEnvironment, settingsFrom, startRelay, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

const MAX_ATTEMPTS = 3;
const run = promisify(execFile);

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database.drop();
});

async function deadLetters(): Promise<Array<{ event_id: string; attempts: number; last_error: string }>> {
  const result = await database.pool.query('SELECT event_id::text, attempts, last_error FROM dead_letter ORDER BY id');
  return result.rows;
}

test('refused events are dead-lettered after max attempts, then replayed and published', { timeout: TEST_TIMEOUT_MS }, async () => {
  const environment = relayEnvironment(database, {
    OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    OUTBOX_BACKOFF_BASE_MS: '20',
    OUTBOX_BACKOFF_MAX_MS: '100',
    OUTBOX_POLL_INTERVAL_MS: '60000',
  });
  const settings = settingsFrom(environment);
  const collector = await QueueCollector.start(brokerUrl(), settings, ['ledger.deposit.posted']);
  // A queue that can never accept a message: the broker nacks every publish routed to it.
  const refusing = `${settings.exchange}.refusing`;
  await collector.withChannel(async (channel) => {
    await channel.assertQueue(refusing, { durable: false, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
    await channel.bindQueue(refusing, settings.exchange, 'ledger.withdrawal.posted');
    await channel.bindQueue(refusing, settings.exchange, 'ledger.hold.created');
  });
  const relay = await startRelay(settings);
  try {
    // Withdrawals and holds as the write path stores them too: by transaction or hold id, rendered when published.
    const posted = await postLedgerEvents(database.pool, 2);
    const refused = [...(await insertEvents(database.pool, 3, 'withdrawal.posted')), ...posted.withdrawn, ...posted.held];
    const accepted = [...(await insertEvents(database.pool, 5, 'deposit.posted')), ...posted.deposited];
    await waitFor('the accepted events delivered', () => collector.hasAll(accepted), 10_000);
    await waitFor('the refused events dead-lettered', async () => (await deadLetters()).length === refused.length, 10_000);

    const dead = await deadLetters();
    assert.deepEqual(dead.map((row) => row.event_id).sort(), [...refused].sort());
    for (const row of dead) {
      assert.equal(row.attempts, MAX_ATTEMPTS);
      assert.match(row.last_error, /nack/i);
    }
    const stillInOutbox = await database.pool.query('SELECT 1 FROM outbox WHERE event_id = ANY($1::uuid[])', [refused]);
    assert.equal(stillInOutbox.rowCount, 0, 'a dead letter is no longer in the outbox');
    const byReference = await database.pool.query(
      'SELECT 1 FROM dead_letter WHERE event_id = ANY($1::uuid[]) AND transaction_id IS NOT NULL AND payload IS NULL',
      [posted.withdrawn],
    );
    assert.equal(byReference.rowCount, posted.withdrawn.length, 'a dead letter keeps naming its transaction');
    const byHold = await database.pool.query(
      'SELECT 1 FROM dead_letter WHERE event_id = ANY($1::uuid[]) AND hold_id IS NOT NULL AND payload IS NULL AND transaction_id IS NULL',
      [posted.held],
    );
    assert.equal(byHold.rowCount, posted.held.length, 'a dead letter keeps naming its hold');

    // The cause is fixed: the refusing queue goes, a consumer binds for withdrawals.
    await collector.withChannel(async (channel) => {
      await channel.deleteQueue(refusing);
      await channel.bindQueue(collector.queue, settings.exchange, 'ledger.withdrawal.posted');
      await channel.bindQueue(collector.queue, settings.exchange, 'ledger.hold.created');
    });

    const [firstId, ...rest] = refused;
    const cli = await run(process.execPath, ['--import', 'tsx', 'src/main/outboxReplay.ts', '--id', firstId!], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...environment },
    });
    assert.equal(cli.stdout.trim(), 'moved 1 dead letter back to the outbox');
    await waitFor('the event replayed by id published', () => collector.hasAll([firstId!]), 10_000);

    assert.equal(await replayDeadLetters(database.pool, { all: false, eventIds: [], eventTypes: ['withdrawal.posted', 'hold.created'] }), rest.length);
    await waitFor('the events replayed by type published', () => collector.hasAll(rest), 10_000);
    const remaining = await deadLetters();
    assert.equal(remaining.length, 0, `dead letters left: ${JSON.stringify(remaining)}`);
    // A consumer can see a message before its confirm reaches the relay: wait for the marks.
    await waitFor('every replayed row marked published', async () => (await countUnpublished(database.pool)) === 0, 5_000);
    assert.equal(collector.messages.length, accepted.length + refused.length, 'each event delivered once to the consumer');
    const replayedReferences = await database.pool.query<{ subject: string }>(
      'SELECT coalesce(transaction_id, hold_id)::text AS subject FROM outbox WHERE event_id = ANY($1::uuid[])',
      [[...posted.withdrawn, ...posted.held]],
    );
    const rendered = (await renderedEvents(database.pool, replayedReferences.rows.map((row) => row.subject)))
      .filter((event) => [...posted.withdrawn, ...posted.held].includes(event.envelope.id));
    assert.equal(rendered.length, posted.withdrawn.length + posted.held.length);
    for (const event of rendered) {
      const message = collector.messages.find((each) => each.properties.messageId === event.envelope.id);
      assert.equal(message?.content.toString('utf8'), event.body, 'a replayed posting or hold event is published as rendered from its rows');
    }
  } finally {
    await relay.stop();
    await collector.close();
  }
});

test('replay with nothing selected, or nothing matching, moves nothing', { timeout: TEST_TIMEOUT_MS }, async () => {
  assert.equal(await replayDeadLetters(database.pool, { all: false, eventIds: [], eventTypes: [] }), 0);
  assert.equal(await replayDeadLetters(database.pool, { all: true }), 0);
});
