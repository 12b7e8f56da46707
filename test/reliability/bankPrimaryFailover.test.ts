// Proves that when the primary of a Patroni cluster (synchronous replication, HAProxy in front) is
// killed mid-load as a machine loss would kill it, Patroni promotes the standby, both service
// processes answer 503 service_unavailable meanwhile and recover without a restart, the requests
// unanswered at the kill are retried with their keys, no acknowledged write is lost or applied
// twice (bankChecks.ts: verify, money conserved, every acknowledged key applied once), and the
// relays deliver every event.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPool } from '../../src/db/pool.js';
import { brokerUrl } from '../support/database.js';
import { startPatroniCluster, type PatroniNode } from '../support/patroniCluster.js';
import { assertNoCrash, atShareOfLoad, caseTimeoutMs, runBankCase } from './bankHarness.js';
import { delay, sendOnce, type Operation, type OperationRecord } from './bankWorkload.js';
import { probeOperations, readiness, resendProbes, waitUntilReady, type Observed } from './outageProbes.js';

/** Starting etcd, two Patroni nodes and HAProxy, and migrating, takes at most this on a busy 2-core machine. */
const CLUSTER_START_MS = 90_000;
/** HAProxy cuts the sessions at the kill; Patroni promotes the standby only after its ttl (5 s in the tests). */
const NOTICE_MS = 500;
const PRIMARY_LOOKUP_TIMEOUT_MS = 10_000;
const PROMOTION_TIMEOUT_MS = 30_000;
const RECOVERY_TIMEOUT_MS = 30_000;
/** With the tests' Patroni timing (ttl 5 s, loop_wait 1 s) and HAProxy's 1 s checks, writes resume well within this. */
const NO_WRITES_MAX_MS = 20_000;

interface ProbeAnswer extends Observed {
  probe: 'readiness' | 'write';
  answeredAt: number;
}

interface Failover {
  killedAt: number;
  former?: PatroniNode;
  promoted?: PatroniNode;
  /** When the test saw the standby promoted and writable through HAProxy (it polls, so a little late). */
  promotedAt: number;
  probes: ProbeAnswer[];
  /** Everything the service processes logged. */
  serviceOutput: () => string;
}

interface Stretch {
  from: number;
  to: number;
}

test('the primary killed (SIGKILL): the standby promoted, 503 meanwhile, nothing acknowledged lost', { timeout: CLUSTER_START_MS + caseTimeoutMs() }, async (t) => {
  const cluster = await startPatroniCluster();
  const pool = createPool(cluster.adminUrl, 5, { applicationName: 'bank-test-checks' });
  const failover: Failover = { killedAt: 0, promotedAt: 0, probes: [], serviceOutput: () => '' };
  try {
    const { report, records } = await runBankCase(t, { databaseUrl: cluster.serviceUrl, pool, brokerUrl: brokerUrl() }, {
      label: 'primary-failover',
      fault: async (context) => {
        failover.serviceOutput = () => context.cluster.services.map((service) => service.output()).join('\n');
        // Asked before the load has the machine busy: nothing moves the primary until the kill.
        failover.former = await cluster.primary(PRIMARY_LOOKUP_TIMEOUT_MS);
        await atShareOfLoad(context, 0.2);
        const pids = context.cluster.services.map((service) => service.child.pid);
        failover.killedAt = Date.now();
        await cluster.killNode(failover.former);
        await delay(NOTICE_MS);
        assertNoCrash(context.cluster);
        const probes = probeOperations(context, 'primary-failover');
        failover.probes = await probeAll(context.cluster.serviceUrls(), probes);
        failover.promoted = await cluster.waitForNewPrimary(failover.former, PROMOTION_TIMEOUT_MS);
        failover.promotedAt = Date.now();
        await waitUntilReady(context.cluster, RECOVERY_TIMEOUT_MS);
        assertNoCrash(context.cluster);
        assert.deepEqual(context.cluster.services.map((service) => service.child.pid), pids, 'the same processes, none restarted');
        return resendProbes(context, probes);
      },
    }).catch((error: unknown) => {
      t.diagnostic(`Patroni, etcd and HAProxy output:\n${cluster.output().slice(-4_000)}`);
      t.diagnostic(`the services' errors:\n${errorLines(failover.serviceOutput()).slice(-4_000)}`);
      throw error;
    });
    const stretch = longestStretchWithoutWrites(records, failover.killedAt);
    const noWritesMs = stretch.to - stretch.from;
    t.diagnostic(`failover: no writes for ${noWritesMs} ms (${failover.former?.name} killed; writes resumed ${stretch.to - failover.killedAt} ms after the kill, on ${failover.promoted?.name})`);
    t.diagnostic(`commits whose outcome the failover left unknown, resolved by their keys: ${unknownOutcomes(failover.serviceOutput())}`);
    t.diagnostic(`probes: ${JSON.stringify(failover.probes.map((answer) => ({ ...answer, answeredAt: answer.answeredAt - failover.killedAt })))}`);

    assert.notEqual(failover.promoted, failover.former, 'the standby is the primary now');
    // A probe answered before writes resumed must be a 503. A write probe may also wait in its
    // partition's queue while the partition resolves a commit the kill left unknown (it must, to keep
    // the account's order), and then succeed on the new primary: either way, never a 500.
    const duringGap = failover.probes.filter((answer) => answer.answeredAt < stretch.to);
    assert.ok(duringGap.some((answer) => answer.probe === 'readiness'), 'readiness was answered during the failover');
    const unavailable = { status: 503, code: 'service_unavailable' };
    assert.deepEqual(duringGap.map(({ status, code }) => ({ status, code })), duringGap.map(() => unavailable), '/readyz and writes answer 503 service_unavailable (not 500) during the failover');
    const heldWrites = failover.probes.filter((answer) => answer.probe === 'write' && answer.answeredAt >= stretch.to);
    assert.ok(heldWrites.every((answer) => answer.status === 201), 'a write probe held through the failover is applied on the new primary');
    assert.ok(report.counts.unavailable > 0, 'clients were answered 503 during the failover');
    // A request unanswered at the kill is either answered 503 and sent again with its key, or held in
    // its partition's queue behind a commit the kill left unknown and then applied (with one
    // partition, every write in flight may be held so). Either way it gets a final answer.
    const unansweredAtKill = records.filter((record) => record.startedAt < failover.killedAt && !(record.answer && record.answer.answeredAt <= failover.killedAt));
    assert.ok(unansweredAtKill.length > 0, 'requests were in flight at the kill');
    assert.ok(unansweredAtKill.every((record) => record.answer !== undefined), 'every request in flight at the kill was answered');
    const resentAndApplied = records.filter((record) => record.attempts > 1 && (record.answer?.status === 201 || record.answer?.status === 200));
    assert.ok(resentAndApplied.length > 0, 'writes answered 503 during the failover were sent again with their keys and applied');
    assert.ok(acknowledgedWrites(records).some((answeredAt) => answeredAt < failover.killedAt), 'writes were acknowledged by the old primary');
    assert.ok(noWritesMs < NO_WRITES_MAX_MS, `writes resumed within ${NO_WRITES_MAX_MS} ms`);
  } finally {
    await pool.end();
    await cluster.stop();
  }
});

/** Each service process's /readyz and one write, all at once: the failover gap is a few seconds. */
function probeAll(serviceUrls: string[], probes: Operation[]): Promise<ProbeAnswer[]> {
  const answered = async (probe: ProbeAnswer['probe'], ask: () => Promise<Observed | undefined>): Promise<ProbeAnswer> => {
    const answer = await ask().catch(() => undefined);
    return { probe, status: answer?.status, code: answer?.code, answeredAt: Date.now() };
  };
  return Promise.all(
    serviceUrls.flatMap((url, index) => [answered('readiness', () => readiness(url)), answered('write', () => sendOnce(url, probes[index]!))]),
  );
}

/** When each applied write (a 201, or the 200 of a void, freeze or unfreeze) was answered, in order. */
function acknowledgedWrites(records: OperationRecord[]): number[] {
  return records
    .filter((record) => record.answer?.status === 201 || record.answer?.status === 200)
    .map((record) => record.answer!.answeredAt)
    .sort((a, b) => a - b);
}

/**
 * The longest time between two acknowledged writes that ends after the kill: from the last write
 * the old primary acknowledged to the first the new one did, as the clients saw them. (Answers to
 * commits the old primary made just before the kill may still arrive after it.)
 */
function longestStretchWithoutWrites(records: OperationRecord[], killedAt: number): Stretch {
  const answered = acknowledgedWrites(records);
  let longest: Stretch = { from: killedAt, to: killedAt };
  for (let index = 1; index < answered.length; index += 1) {
    const [from, to] = [answered[index - 1]!, answered[index]!];
    if (to > killedAt && to - from > longest.to - longest.from) longest = { from, to };
  }
  return longest;
}

/** The service logs each commit whose connection died before its answer came (applyBatchWithRecovery.ts). */
function unknownOutcomes(serviceOutput: string): number {
  return serviceOutput.split('connection lost during the commit; resolving the outcome').length - 1;
}

/** The lines the services logged at error level (pino's 50 and above), which a 500 answer leaves. */
function errorLines(serviceOutput: string): string {
  return serviceOutput
    .split('\n')
    .filter((line) => /"level":(50|60)/.test(line))
    .join('\n');
}
