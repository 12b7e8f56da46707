// Proves that SIGTERM stops the worker process gracefully while it is publishing: it exits 0,
// the batch in flight is finished (everything it delivered is marked published, nothing twice),
// and no claim outlives it.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PROJECT_ROOT } from '../../src/paths.js';
import { brokerUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { countUnpublished, delay, insertEvents, QueueCollector, relayEnvironment, settingsFrom, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database.drop();
});

test('SIGTERM finishes the batch in flight, releases claims and exits 0', { timeout: TEST_TIMEOUT_MS }, async () => {
  const environment = relayEnvironment(database, { OUTBOX_BATCH_SIZE: '500' });
  const settings = settingsFrom(environment);
  const collector = await QueueCollector.start(brokerUrl(), settings, ['#']);
  for (let chunk = 0; chunk < 20; chunk += 1) await insertEvents(database.pool, 1_000);

  const worker = spawn(process.execPath, ['--import', 'tsx', 'src/main/outboxWorker.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  try {
    await waitFor('the worker publishing', () => collector.messages.length >= 1_000, 30_000);
    worker.kill('SIGTERM');
    assert.equal(await exited, 0, 'exit code 0');

    const published = await database.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM outbox WHERE published_at IS NOT NULL');
    const marked = published.rows[0]!.count;
    assert.ok((await countUnpublished(database.pool)) > 0, 'stopped before the backlog was done');
    await waitFor('the consumer caught up with what was marked', () => collector.uniqueEventIds().size >= marked, 5_000);
    await delay(300);
    assert.equal(collector.uniqueEventIds().size, marked, 'everything delivered was marked: no batch left half-done');
    assert.equal(collector.messages.length, marked, 'nothing delivered twice');

    const locked = await database.pool.query(
      `SELECT count(*)::int AS count FROM pg_locks l JOIN pg_stat_activity a USING (pid)
       WHERE a.datname = current_database() AND a.application_name LIKE 'wallet-ledger-outbox%'`,
    );
    assert.equal(locked.rows[0].count, 0, 'the worker left no session and no lock behind');
  } finally {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await collector.close();
  }
});
