// Proves that when a hot account's row is locked from outside the service for a second
// (SELECT … FOR UPDATE in an open transaction), the operations on it wait and then complete: no
// deadlock, no timeout or 503 storm, no retry needed, and the bank's invariants hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type pg from 'pg';
import { brokerUrl, createTestDatabase } from '../support/database.js';
import { acknowledgedBetween, atShareOfLoad, caseTimeoutMs, runBankCase } from './bankHarness.js';
import { delay } from './bankWorkload.js';

const LOCK_HELD_MS = 1_000;
/** Share of operations that involve the hot account (accounts[0]). */
const HOT_ACCOUNT_SHARE = 0.3;

test('a hot account row locked from outside for a second: no deadlock, no timeout storm, all operations complete', { timeout: caseTimeoutMs() }, async (t) => {
  const database = await createTestDatabase(5);
  const lock = { account: '', lockedAt: 0, releasingAt: 0, releasedAt: 0 };
  try {
    const deadlocksBefore = await countDeadlocks(database.pool);
    const { report, records } = await runBankCase(t, { databaseUrl: database.url, pool: database.pool, brokerUrl: brokerUrl() }, {
      label: 'hot-row-lock',
      hotAccountShare: HOT_ACCOUNT_SHARE,
      fault: async (context) => {
        await atShareOfLoad(context, 0.3);
        const client = await database.pool.connect();
        try {
          lock.account = context.bank.accounts[0]!;
          await client.query('BEGIN');
          await client.query('SELECT id FROM accounts WHERE id = $1 FOR UPDATE', [lock.account]);
          lock.lockedAt = Date.now();
          await delay(LOCK_HELD_MS);
          lock.releasingAt = Date.now();
          await client.query('COMMIT');
          lock.releasedAt = Date.now();
        } finally {
          client.release();
        }
      },
    });
    // Backends report their statistics at exit at the latest, and the cluster has stopped by now.
    const deadlocks = (await countDeadlocks(database.pool)) - deadlocksBefore;
    const acknowledgedWhileLocked = acknowledgedBetween(records, lock.lockedAt, lock.releasingAt);
    // Sent while the row was locked, every operation on the hot account waited for the lock.
    const blocked = records.filter(
      ({ operation, startedAt }) =>
        (operation.source === lock.account || operation.destination === lock.account) && startedAt >= lock.lockedAt && startedAt < lock.releasingAt,
    );
    const answeredEarly = blocked.filter((record) => record.answer!.answeredAt < lock.releasingAt);
    t.diagnostic(`hot row locked ${lock.releasedAt - lock.lockedAt} ms: ${blocked.length} operations on it waited, ${acknowledgedWhileLocked} operations acknowledged meanwhile, ${deadlocks} deadlocks`);
    assert.ok(blocked.length > 0, 'operations on the hot account were sent while it was locked');
    assert.equal(answeredEarly.length, 0, 'none of them was answered before the lock was released');
    assert.equal(deadlocks, 0, 'no deadlock');
    assert.equal(report.counts.noAnswer, 0, 'no request timed out or lost its connection');
    assert.equal(report.counts.unavailable, 0, 'no 503');
    assert.equal(report.counts.retried, 0, 'no operation needed a retry');
  } finally {
    await database.drop();
  }
});

async function countDeadlocks(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    // Statistics read in a transaction are cached; read them afresh.
    await client.query('SELECT pg_stat_clear_snapshot()');
    const result = await client.query<{ deadlocks: number }>('SELECT deadlocks::int FROM pg_stat_database WHERE datname = current_database()');
    return result.rows[0]!.deadlocks;
  } finally {
    client.release();
  }
}
