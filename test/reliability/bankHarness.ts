import type { TestContext } from 'node:test';
import type pg from 'pg';
import { BankCluster, type UnexpectedExit } from './bankCluster.js';
import { checkBank, openBank, type Bank, type BankReport } from './bankChecks.js';
import { operationGenerator, runWorkload, seededRandom, type OperationRecord } from './bankWorkload.js';

// Runs one case of the bank test: starts the cluster, opens and funds the bank, runs the workload
// with the case's fault injected alongside it, checks the result and records the counts.

/** Seconds of load per case; RELIABILITY_SOAK_S raises it for a long soak. */
const DEFAULT_LOAD_S = 10;
/** Setup, checks and the event drain take at most this on a slow 2-core machine, on top of the load. */
const CASE_OVERHEAD_MS = 150_000;

export interface ReliabilitySettings {
  loadMs: number;
  seed: number;
}

/** The only place the bank test reads the environment. */
export function reliabilitySettings(): ReliabilitySettings {
  const soak = process.env.RELIABILITY_SOAK_S;
  const loadS = soak === undefined || soak === '' ? DEFAULT_LOAD_S : Number(soak);
  if (!Number.isFinite(loadS) || loadS < 1) throw new Error(`RELIABILITY_SOAK_S must be a number of seconds ≥ 1, got ${soak}`);
  const seedText = process.env.RELIABILITY_SEED;
  const seed = seedText ? Number(seedText) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) throw new Error(`RELIABILITY_SEED must be an integer, got ${seedText}`);
  return { loadMs: loadS * 1_000, seed };
}

/** Each case's time limit. (test/run.ts also limits each file, to its TEST_TIMEOUT_MS.) */
export function caseTimeoutMs(): number {
  return reliabilitySettings().loadMs + CASE_OVERHEAD_MS;
}

export interface BankEnvironment {
  databaseUrl: string;
  /** A pool on the same database, for the checks. */
  pool: pg.Pool;
  brokerUrl: string;
  relayDatabaseUrls?: string[];
}

export interface FaultContext {
  cluster: BankCluster;
  bank: Bank;
  /** When the load started (Date.now()). */
  loadStartedAt: number;
  loadMs: number;
}

/** A fault runs alongside the load; it may return operations it sent itself, which are checked with the rest. */
// biome-ignore lint/suspicious/noConfusingVoidType: a fault that records nothing is a plain async function
export type Fault = (context: FaultContext) => Promise<OperationRecord[] | void>;

export interface BankCaseOptions {
  label: string;
  fault: Fault;
  hotAccountShare?: number;
}

export interface BankRun {
  report: BankReport;
  /** Every operation of the load (and of the fault), with its final answer. */
  records: OperationRecord[];
}

export async function runBankCase(t: TestContext, environment: BankEnvironment, options: BankCaseOptions): Promise<BankRun> {
  const settings = reliabilitySettings();
  const cluster = await BankCluster.start(environment);
  try {
    const serviceUrls = () => cluster.serviceUrls();
    const bank = await openBank(serviceUrls, `${options.label}-${settings.seed}`);
    const operations = operationGenerator({
      accounts: bank.accounts,
      random: seededRandom(settings.seed),
      keyPrefix: `${options.label}-${settings.seed}`,
      hotAccountShare: options.hotAccountShare,
    });
    const loadStartedAt = Date.now();
    const stop = new AbortController();
    const [load, fault] = await Promise.allSettled([
      runWorkload({
        serviceUrls,
        nextOperation: operations.next,
        onAnswered: ({ operation, answer }) => operations.answered(operation, answer?.status ?? 0, answer?.id),
        durationMs: settings.loadMs,
        stop: stop.signal,
      }),
      options.fault({ cluster, bank, loadStartedAt, loadMs: settings.loadMs }).catch((error: unknown) => {
        stop.abort();
        throw error;
      }),
    ]);
    if (fault.status === 'rejected') throw withCrashes(fault.reason, cluster);
    if (load.status === 'rejected') throw load.reason;
    assertNoCrash(cluster);
    const records = [...load.value, ...(fault.value ?? [])];
    const report = await checkBank({ pool: environment.pool, serviceUrls, events: cluster.events, bank, records }).catch((error: unknown) => {
      t.diagnostic(`service and relay output:\n${cluster.output()}`);
      throw error;
    });
    t.diagnostic(`${options.label} (seed ${settings.seed}, ${settings.loadMs / 1_000} s of load): ${JSON.stringify(report)}`);
    return { report, records };
  } finally {
    await cluster.stop();
  }
}

/** Resolves `share` of the way through the load. */
export function atShareOfLoad(context: FaultContext, share: number): Promise<void> {
  const wait = context.loadStartedAt + context.loadMs * share - Date.now();
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
}

export async function countTransactions(pool: pg.Pool): Promise<number> {
  return (await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM ledger_transactions')).rows[0]!.count;
}

export async function countUnpublished(pool: pg.Pool): Promise<number> {
  return (await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL')).rows[0]!.count;
}

/** Operations acknowledged (201) between two moments. */
export function acknowledgedBetween(records: OperationRecord[], from: number, to: number): number {
  return records.filter((record) => record.answer?.status === 201 && record.answer.answeredAt >= from && record.answer.answeredAt <= to).length;
}

/** Every service and relay process the test did not end itself is still running. */
export function assertNoCrash(cluster: BankCluster): void {
  const crashes = cluster.unexpectedExits();
  if (crashes.length > 0) throw new Error(describeCrashes(crashes));
}

function describeCrashes(crashes: UnexpectedExit[]): string {
  return crashes.map((crash) => `${crash.process} exited (code ${crash.exitCode}, signal ${crash.signal}); its output ends:\n${crash.output}`).join('\n');
}

/** A fault that failed because a process crashed says so first. */
function withCrashes(error: unknown, cluster: BankCluster): unknown {
  const crashes = cluster.unexpectedExits();
  if (crashes.length === 0 || (error as Error)?.message === describeCrashes(crashes)) return error;
  return new Error(`${describeCrashes(crashes)}\n(the fault then failed: ${(error as Error)?.message ?? String(error)})`);
}
