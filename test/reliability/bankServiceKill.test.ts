// Proves that when one of two service processes is SIGKILLed mid-load and restarted, clients that
// retry with the same Idempotency-Key get every operation applied exactly once: the per-key outcomes
// and every balance match the acknowledged ledger, the invariants hold, and every event arrives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokerUrl, createTestDatabase } from '../support/database.js';
import { atShareOfLoad, caseTimeoutMs, runBankCase } from './bankHarness.js';
import { delay } from './bankWorkload.js';

/** How long the killed process stays down before it is started again (clients fail over meanwhile). */
const DOWN_MS = 500;

test('a service process SIGKILLed mid-load and restarted: each operation applies exactly once', { timeout: caseTimeoutMs() }, async (t) => {
  const database = await createTestDatabase(5);
  let killedBy: NodeJS.Signals | null = null;
  try {
    const { report } = await runBankCase(t, { databaseUrl: database.url, pool: database.pool, brokerUrl: brokerUrl() }, {
      label: 'service-kill',
      fault: async (context) => {
        await atShareOfLoad(context, 0.3);
        const victim = context.cluster.services[0]!;
        await context.cluster.killService(0);
        killedBy = victim.child.signalCode;
        await delay(DOWN_MS);
        await context.cluster.restartService(0);
      },
    });
    assert.equal(killedBy, 'SIGKILL');
    assert.ok(report.counts.noAnswer > 0, 'the kill left requests without an answer');
    assert.ok(report.counts.retried > 0, 'those operations were retried with their key');
    assert.ok(report.counts.acknowledged > 0);
  } finally {
    await database.drop();
  }
});
