// Proves that when PostgreSQL is stopped in immediate mode mid-load and restarted, both service
// processes answer 503 service_unavailable (writes and /readyz) while it is down, become ready again
// by themselves without a restart, and no acknowledged operation is lost or applied twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPool } from '../../src/db/pool.js';
import { startCrashablePostgres } from '../support/crashablePostgres.js';
import { brokerUrl } from '../support/database.js';
import { assertNoCrash, atShareOfLoad, caseTimeoutMs, runBankCase } from './bankHarness.js';
import { delay } from './bankWorkload.js';
import { probeDuringOutage, resendProbes, waitUntilReady, type OutageAnswers } from './outageProbes.js';

const OUTAGE_MS = 4_000;
/** The pools see their connections die at the next query; by then every process knows. */
const NOTICE_MS = 1_000;
const RECOVERY_TIMEOUT_MS = 30_000;

test('PostgreSQL stopped (immediate) and restarted: 503 while down, recovery without a restart', { timeout: caseTimeoutMs() }, async (t) => {
  const postgres = await startCrashablePostgres();
  const pool = createPool(postgres.databaseUrl, 5, { applicationName: 'bank-test-checks' });
  const outage: OutageAnswers & { readyAgainMs: number } = { readiness: [], writes: [], readyAgainMs: 0 };
  try {
    const { report } = await runBankCase(t, { databaseUrl: postgres.databaseUrl, pool, brokerUrl: brokerUrl() }, {
      label: 'postgres-outage',
      fault: async (context) => {
        await atShareOfLoad(context, 0.3);
        const pids = context.cluster.services.map((service) => service.child.pid);
        await postgres.crash();
        const crashedAt = Date.now();
        await delay(NOTICE_MS);
        assertNoCrash(context.cluster);
        const { answers, probes } = await probeDuringOutage(context, 'postgres-outage');
        Object.assign(outage, answers);
        await delay(Math.max(0, OUTAGE_MS - (Date.now() - crashedAt)));
        await postgres.restart();
        const restartedAt = Date.now();
        await waitUntilReady(context.cluster, RECOVERY_TIMEOUT_MS);
        assertNoCrash(context.cluster);
        outage.readyAgainMs = Date.now() - restartedAt;
        assert.deepEqual(context.cluster.services.map((service) => service.child.pid), pids, 'the same processes, none restarted');
        assert.ok(context.cluster.services.every((service) => service.child.exitCode === null), 'no service process exited');
        return resendProbes(context, probes);
      },
    });
    t.diagnostic(`during the outage: readiness ${JSON.stringify(outage.readiness)}, writes ${JSON.stringify(outage.writes)}; ready again ${outage.readyAgainMs} ms after the restart`);
    const unavailable = { status: 503, code: 'service_unavailable' };
    assert.deepEqual(outage.readiness, [unavailable, unavailable], '/readyz says so on both processes');
    assert.deepEqual(outage.writes, [unavailable, unavailable], 'writes are answered 503 service_unavailable on both processes');
    assert.ok(report.counts.unavailable > 0, 'clients were answered 503 during the outage');
    assert.ok(report.counts.retried > 0);
  } finally {
    await pool.end();
    await postgres.stop();
  }
});
