// Proves that when PostgreSQL is stopped in immediate mode mid-load and restarted, both service
// processes answer 503 service_unavailable (writes and /readyz) while it is down, become ready again
// by themselves without a restart, and no acknowledged operation is lost or applied twice.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createPool } from '../../src/db/pool.js';
import { startCrashablePostgres } from '../support/crashablePostgres.js';
import { brokerUrl } from '../support/database.js';
import type { BankCluster } from './bankCluster.js';
import { assertNoCrash, atShareOfLoad, caseTimeoutMs, runBankCase, type FaultContext } from './bankHarness.js';
import { delay, executeOperation, sendOnce, type Operation, type OperationRecord } from './bankWorkload.js';

const OUTAGE_MS = 4_000;
/** The pools see their connections die at the next query; by then every process knows. */
const NOTICE_MS = 1_000;
const RECOVERY_TIMEOUT_MS = 30_000;
const READINESS_TIMEOUT_MS = 5_000;

interface Observed {
  status?: number;
  code?: string;
}

test('PostgreSQL stopped (immediate) and restarted: 503 while down, recovery without a restart', { timeout: caseTimeoutMs() }, async (t) => {
  const postgres = await startCrashablePostgres();
  const pool = createPool(postgres.databaseUrl, 5, { applicationName: 'bank-test-checks' });
  const outage = { readiness: [] as Observed[], writes: [] as Observed[], readyAgainMs: 0 };
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
        const probes = probeOperations(context);
        for (const [index, url] of context.cluster.serviceUrls().entries()) {
          outage.readiness.push(await readiness(url));
          const answer = await sendOnce(url, probes[index]!);
          outage.writes.push({ status: answer?.status, code: answer?.code });
        }
        await delay(Math.max(0, OUTAGE_MS - (Date.now() - crashedAt)));
        await postgres.restart();
        const restartedAt = Date.now();
        await waitUntilReady(context.cluster);
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

/** One deposit per service process, sent during the outage. */
function probeOperations(context: FaultContext): Operation[] {
  return context.cluster.serviceUrls().map((_url, index) => ({
    key: `postgres-outage-probe-${index}-${randomBytes(4).toString('hex')}`,
    kind: 'deposit',
    destination: context.bank.accounts[index]!,
    amount: 1n,
  }));
}

/** A 503 is not stored: sent again with their keys once the database is back, the probes are ordinary operations. */
function resendProbes(context: FaultContext, probes: Operation[]): Promise<OperationRecord[]> {
  return Promise.all(probes.map((probe) => executeOperation(probe, () => context.cluster.serviceUrls(), 0)));
}

async function readiness(url: string): Promise<Observed> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(READINESS_TIMEOUT_MS) });
  const body = (await response.json()) as { code?: string };
  return response.status === 200 ? { status: 200 } : { status: response.status, code: body.code };
}

async function waitUntilReady(cluster: BankCluster): Promise<void> {
  const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
  for (;;) {
    const states = await Promise.all(cluster.serviceUrls().map((url) => readiness(url).catch((): Observed => ({}))));
    if (states.every((state) => state.status === 200)) return;
    if (Date.now() > deadline) throw new Error(`not ready ${RECOVERY_TIMEOUT_MS} ms after the database came back: ${JSON.stringify(states)}`);
    await delay(100);
  }
}
