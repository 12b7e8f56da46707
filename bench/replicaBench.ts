import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startStreamingReplica, type StreamingReplica } from '../test/support/streamingReplica.js';
import { CpuMeter, processTree } from './cpu.js';
import { settleDatabase } from './database.js';
import { runLoad } from './loadClient.js';
import { note } from './progress.js';
import { buildProject } from './projectBuild.js';
import { checkLedger, seedAccounts, type LedgerCheck } from './seed.js';
import { BENCH_API_KEY, startService } from './serviceProcess.js';
import { loadBenchSettings, type BenchSettings } from './settings.js';
import { PROJECT_ROOT } from '../src/paths.js';

// `npm run bench -- --replica`: the mixed scenario (80% GET of an account, 20% transfers) against
// a primary alone and with its hot standby as DATABASE_READ_URL, in one run on one PostgreSQL 15
// pair (test/support/streamingReplica.ts, fsync on), in alternating turns (alone, replica,
// replica, alone) so that a drift of a shared machine weighs on both. What the replica buys is
// the primary's CPU per read: PostgreSQL's processes' CPU time (from /proc) over the reads answered.

/** Turns in this order: each side twice, first and last for one, in the middle for the other. */
const TURN_ORDER = ['primaryAlone', 'withReplica', 'withReplica', 'primaryAlone'] as const;

const RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench', 'results');
const QUICK_RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench', '.work', 'results');

interface Phase {
  turns: number;
  requestsPerSecond: number;
  reads: number;
  writes: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  /** GETs answered by the replica and by the primary (the service's wallet_ledger_reads_total). */
  readsBySource: { replica: number; primary: number };
  /** CPU seconds of each process group over the measurements. */
  cpuSeconds: Record<string, number>;
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
  process.chdir(PROJECT_ROOT);
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = os.loadavg();
  const settings = loadBenchSettings();
  buildProject(PROJECT_ROOT);
  note('starting a PostgreSQL 15 primary and its hot standby (fsync on)');
  const pair = await startStreamingReplica({ fsync: true });
  try {
    note(`seeding ${settings.accounts} accounts`);
    await seedAccounts(pair.primaryUrl, settings.accounts);
    const turns: Record<(typeof TURN_ORDER)[number], Phase[]> = { primaryAlone: [], withReplica: [] };
    for (const [index, side] of TURN_ORDER.entries()) {
      const environment: Record<string, string> = side === 'withReplica' ? { DATABASE_READ_URL: pair.replicaUrl } : {};
      turns[side].push(await measureTurn(settings, pair, `${index + 1} ${side}`, environment));
    }
    const primaryAlone = combine(turns.primaryAlone);
    const withReplica = combine(turns.withReplica);
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
    note(`wrote ${path.relative(PROJECT_ROOT, file)}`);
    if (!report.ledgerCheck.passed) process.exitCode = 1;
  } finally {
    await pair.stop();
  }
}

/** A fresh service on the pair's primary: warmed up, then the mixed scenario measured with the CPU of each process. */
async function measureTurn(settings: BenchSettings, pair: StreamingReplica, label: string, environment: Record<string, string>): Promise<Phase> {
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
    const cpuSeconds = Object.fromEntries(Object.entries(cpuPercent).map(([group, percent]) => [group, (percent / 100) * wallSeconds]));
    return {
      turns: 1,
      requestsPerSecond: http.requestsPerSecond,
      reads,
      writes: http.statusCounts['201'] ?? 0,
      failures: http.non2xx + http.errors + http.timeouts,
      p50Ms: http.latencyMs.p50,
      p99Ms: http.latencyMs.p99,
      readsBySource: await readsBySource(service.output()),
      cpuSeconds,
      primaryCpuMicrosecondsPerRead: Math.round(((cpuSeconds.primary ?? 0) * 1e6) / Math.max(1, reads)),
    };
  } finally {
    await service.stop();
  }
}

/** The service's count of reads by source, from the metrics URL it printed at start-up. */
async function readsBySource(output: string): Promise<Phase['readsBySource']> {
  const url = /metrics: (http:\S+)/.exec(output)?.[1];
  const text = url ? await (await fetch(url)).text() : '';
  const count = (source: string) => Number(new RegExp(`^wallet_ledger_reads_total\\{source="${source}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { replica: count('replica'), primary: count('primary') };
}

/** The turns of one side as one: counts and CPU summed, rates and latencies averaged. */
function combine(turns: Phase[]): Phase {
  const sum = (pick: (phase: Phase) => number) => turns.reduce((total, phase) => total + pick(phase), 0);
  const mean = (pick: (phase: Phase) => number) => round2(sum(pick) / turns.length);
  const groups = [...new Set(turns.flatMap((phase) => Object.keys(phase.cpuSeconds)))];
  const cpuSeconds = Object.fromEntries(groups.map((group) => [group, round2(sum((phase) => phase.cpuSeconds[group] ?? 0))]));
  const reads = sum((phase) => phase.reads);
  return {
    turns: turns.length,
    requestsPerSecond: mean((phase) => phase.requestsPerSecond),
    reads,
    writes: sum((phase) => phase.writes),
    failures: sum((phase) => phase.failures),
    p50Ms: mean((phase) => phase.p50Ms),
    p99Ms: mean((phase) => phase.p99Ms),
    readsBySource: { replica: sum((phase) => phase.readsBySource.replica), primary: sum((phase) => phase.readsBySource.primary) },
    cpuSeconds,
    primaryCpuMicrosecondsPerRead: Math.round(((cpuSeconds.primary ?? 0) * 1e6) / Math.max(1, reads)),
  };
}

function formatReplicaReport(report: ReplicaBenchReport): string {
  const row = (name: string, phase: Phase) =>
    `| ${name} | ${Math.round(phase.requestsPerSecond).toLocaleString('en-US')} /s | ${phase.p50Ms} / ${phase.p99Ms} | ${phase.readsBySource.replica} / ${phase.readsBySource.primary} | ${phase.cpuSeconds.primary} s | ${phase.cpuSeconds.replica} s | ${phase.cpuSeconds.service} s | ${phase.primaryCpuMicrosecondsPerRead} µs |`;
  return [
    '| mixed, 80% GET | throughput | p50 / p99 ms | reads on replica / primary (warm-up included) | primary CPU | replica CPU | service CPU | primary CPU per read |',
    '|---|---|---|---|---|---|---|---|',
    row('primary alone', report.primaryAlone),
    row('with DATABASE_READ_URL', report.withReplica),
    `primary CPU per read, with / without the replica: ${report.ratios.primaryCpuPerRead}×; throughput: ${report.ratios.requestsPerSecond}×`,
  ].join('\n');
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
