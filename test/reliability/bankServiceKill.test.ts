// Proves that when a service process is SIGKILLed mid-load and restarted (again, the two in turn, in
// a longer soak), clients that retry with the same Idempotency-Key get every operation applied
// exactly once: per-key outcomes and every balance match the acknowledged ledger, the invariants
// hold, and every acknowledged transaction's event arrives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokerUrl, createTestDatabase } from '../support/database.js';
import { atShareOfLoad, caseTimeoutMs, runBankCase } from './bankHarness.js';
import { delay } from './bankWorkload.js';

/** How long the killed process stays down before it is started again (clients fail over meanwhile). */
const DOWN_MS = 500;
/** One kill every this long, the two processes in turn, from a quarter into the load (one in the default run). */
const KILL_INTERVAL_MS = 4_000;

test('a service process SIGKILLed mid-load and restarted: each operation applies exactly once', { timeout: caseTimeoutMs() }, async (t) => {
  const database = await createTestDatabase(5);
  const killedBy: Array<NodeJS.Signals | null> = [];
  try {
    const { report } = await runBankCase(t, { databaseUrl: database.url, pool: database.pool, brokerUrl: brokerUrl() }, {
      label: 'service-kill',
      fault: async (context) => {
        await atShareOfLoad(context, 0.25);
        const loadEndsAt = context.loadStartedAt + context.loadMs;
        do {
          const index = killedBy.length % context.cluster.services.length;
          const victim = context.cluster.services[index]!;
          await context.cluster.killService(index);
          killedBy.push(victim.child.signalCode);
          await delay(DOWN_MS);
          await context.cluster.restartService(index);
          await delay(KILL_INTERVAL_MS - DOWN_MS);
        } while (Date.now() < loadEndsAt - KILL_INTERVAL_MS / 2);
      },
    });
    t.diagnostic(`service processes killed: ${killedBy.length}; answers that were replays of an outcome stored before the kill: ${report.counts.replayedAnswers}`);
    assert.ok(killedBy.length > 0 && killedBy.every((signal) => signal === 'SIGKILL'));
    assert.ok(report.counts.noAnswer > 0, 'the kill left requests without an answer');
    assert.ok(report.counts.retried > 0, 'those operations were retried with their key');
    assert.ok(report.counts.acknowledged > 0);
  } finally {
    await database.drop();
  }
});
