import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStreamingReplica, type StreamingReplica } from '../test/support/streamingReplica.js';
import { CpuMeter, processTree } from './cpu.js';
import { settleDatabase } from './database.js';
import { runLoad } from './loadClient.js';
import { note } from './progress.js';
import { buildProject } from './projectBuild.js';
import { checkLedger, seedAccounts, type LedgerCheck } from './seed.js';
import { BENCH_API_KEY, startService } from './serviceProcess.js';
import { loadBenchSettings, type BenchSettings } from './settings.js';

// `npm run bench -- --replica`: the mixed scenario (80% GET of an account, 20% transfers) against
// a primary alone, then with its hot standby as DATABASE_READ_URL, in one run on one PostgreSQL 15
// pair (test/support/streamingReplica.ts, fsync on). What the replica buys is the primary's CPU per
// read: PostgreSQL's processes' CPU time (from /proc) over the reads answered, in each phase.

const REPOSITORY = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const RESULTS_FOLDER = path.join(REPOSITORY, 'bench', 'results');
const QUICK_RESULTS_FOLDER = path.join(REPOSITORY, 'bench', '.work', 'results');

interface Phase {
  requestsPerSecond: number;
  reads: number;
  writes: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of each process group, in percent of one core, over the measurement. */
  cpuPercent: Record<string, number>;
  /** The primary's PostgreSQL CPU time divided by the reads answered (writes' share included: they are the same in both phases). */
  primaryCpuMicrosecondsPerRead: number;
}

export interface ReplicaBenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; node: string; loadAverageAtStart: number[] };
  settings: { durationSeconds: number; warmupSeconds: number; connections: number; accounts: number; serviceEnvironment: Record<string, string> };
  primaryAlone: Phase;
  withReplica: Phase;
  /** withReplica / primaryAlone. */
  ratios: { primaryCpuPerRead: number; requestsPerSecond: number };
  ledgerCheck: LedgerCheck;
}

export async function runReplicaBench(): Promise<void> {
  process.chdir(REPOSITORY);
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = os.loadavg();
  const settings = loadBenchSettings();
  buildProject(REPOSITORY);
  note('starting a PostgreSQL 15 primary and its hot standby (fsync on)');
  const pair = await startStreamingReplica({ fsync: true });
  try {
    note(`seeding ${settings.accounts} accounts`);
    await seedAccounts(pair.primaryUrl, settings.accounts);
    const primaryAlone = await measurePhase(settings, pair, 'primary alone', {});
    const withReplica = await measurePhase(settings, pair, 'with replica', { DATABASE_READ_URL: pair.replicaUrl });
    const report: ReplicaBenchReport = {
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', node: process.version, loadAverageAtStart },
      settings: {
        durationSeconds: settings.durationSeconds,
        warmupSeconds: settings.warmupSeconds,
        connections: settings.connections,
        accounts: settings.accounts,
        serviceEnvironment: settings.serviceEnvironment,
      },
      primaryAlone,
      withReplica,
      ratios: {
        primaryCpuPerRead: round2(withReplica.primaryCpuMicrosecondsPerRead / primaryAlone.primaryCpuMicrosecondsPerRead),
        requestsPerSecond: round2(withReplica.requestsPerSecond / primaryAlone.requestsPerSecond),
      },
      ledgerCheck: await checkLedger(pair.primaryUrl),
    };
    console.log(formatReplicaReport(report));
    const folder = settings.quick ? QUICK_RESULTS_FOLDER : RESULTS_FOLDER;
    await mkdir(folder, { recursive: true });
    const file = path.join(folder, `replica-${startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    note(`wrote ${path.relative(REPOSITORY, file)}`);
    if (!report.ledgerCheck.passed) process.exitCode = 1;
  } finally {
    await pair.stop();
  }
}

/** A fresh service on the pair's primary: warmed up, then the mixed scenario measured with the CPU of each process. */
async function measurePhase(settings: BenchSettings, pair: StreamingReplica, label: string, environment: Record<string, string>): Promise<Phase> {
  const service = await startService(pair.primaryUrl, { LOG_LEVEL: settings.serviceLogLevel, ...settings.serviceEnvironment, ...environment });
  try {
    const load = { url: service.url, apiKey: BENCH_API_KEY, accounts: settings.accounts, connections: settings.connections };
    await runLoad({ ...load, kind: 'mixed', durationSeconds: settings.warmupSeconds }, `${label} warm-up (not measured)`, async () => {});
    await settleDatabase(pair.primaryUrl);
    const groups = {
      primary: () => processTree(pair.primaryPid()!),
      replica: () => processTree(pair.replicaPid()!),
      service: async () => [service.pid],
    };
    let meter: CpuMeter | undefined;
    let startedAtMs = 0;
    const http = await runLoad({ ...load, kind: 'mixed', durationSeconds: settings.durationSeconds }, `${label} mixed`, async () => {
      meter = await CpuMeter.start(groups);
      startedAtMs = performance.now();
    });
    const cpuPercent = await meter!.stop();
    const wallSeconds = (performance.now() - startedAtMs) / 1000;
    const reads = http.statusCounts['200'] ?? 0;
    return {
      requestsPerSecond: http.requestsPerSecond,
      reads,
      writes: http.statusCounts['201'] ?? 0,
      failures: http.non2xx + http.errors + http.timeouts,
      p50Ms: http.latencyMs.p50,
      p99Ms: http.latencyMs.p99,
      cpuPercent,
      primaryCpuMicrosecondsPerRead: Math.round(((cpuPercent.primary ?? 0) / 100) * wallSeconds * 1e6 / Math.max(1, reads)),
    };
  } finally {
    await service.stop();
  }
}

function formatReplicaReport(report: ReplicaBenchReport): string {
  const row = (name: string, phase: Phase) =>
    `| ${name} | ${Math.round(phase.requestsPerSecond).toLocaleString('en-US')} /s | ${phase.p50Ms} / ${phase.p99Ms} | ${phase.cpuPercent.primary}% | ${phase.cpuPercent.replica}% | ${phase.cpuPercent.service}% | ${phase.primaryCpuMicrosecondsPerRead} µs |`;
  return [
    '| mixed, 80% GET | throughput | p50 / p99 ms | primary CPU | replica CPU | service CPU | primary CPU per read |',
    '|---|---|---|---|---|---|---|',
    row('primary alone', report.primaryAlone),
    row('with DATABASE_READ_URL', report.withReplica),
    `primary CPU per read, with / without the replica: ${report.ratios.primaryCpuPerRead}×; throughput: ${report.ratios.requestsPerSecond}×`,
  ].join('\n');
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
