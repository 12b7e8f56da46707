import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { countLedgerTransactions, openBenchDatabase, settleDatabase } from './database.js';
import { runLoad } from './loadClient.js';
import type { LoadResult } from './loadGenerator.js';
import { SERVICE_CONFIGURATIONS } from './plan.js';
import { note } from './progress.js';
import { buildProject } from './projectBuild.js';
import { prepareQueryLoad } from './queryLoad.js';
import type { QueryLoadResult } from './queryLoadGenerator.js';
import { QUERY_KINDS, type ReadSpace } from './queryReads.js';
import { HISTORY_DAYS, loadReadLedger } from './readLedger.js';
import { readReadStatementTimes, resetReadStatementTimes, type ReadStatementTime } from './readStatements.js';
import { enableStatementStats } from './statementStats.js';
import { BENCH_API_KEY, startService, type ServiceProcess } from './serviceProcess.js';
import { loadBenchSettings, type BenchSettings } from './settings.js';
import { PROJECT_ROOT } from '../src/paths.js';

// `npm run bench -- --reads`: the reads of balance history and the list queries on a ledger of
// 1,000,000 transactions, while writes run. In one run, on one service: uniform transfers alone,
// the reads alone, then both at once. The write throughput of the first and the third is what the
// reads cost; the reads' p99 in the third is their latency under write load.

const RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench', 'results');
const QUICK_RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench', '.work', 'results');
const LEDGER_TRANSACTIONS = 1_000_000;
const LEDGER_TRANSACTIONS_QUICK = 50_000;
/** Reads per second over all query kinds, evenly paced: a steady read load beside writes as fast as they go. */
const READ_RATE_PER_SECOND = 100;
const READ_CONNECTIONS = 8;
/** A p99 per query kind needs more samples than a throughput does. */
const DURATION_FACTOR = 3;
const READ_WARM_UP_SECONDS = 3;

interface WritePhase {
  throughput: number;
  p99Ms: number;
  failed: number;
}

export interface ReadBenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; node: string; loadAverageAtStart: number[] };
  settings: { accounts: number; ledgerTransactions: number; historyDays: number; durationSeconds: number; writeConnections: number; readRatePerSecond: number; readConnections: number; serviceConfiguration: string };
  ledgerLoadSeconds: number;
  writesAlone: WritePhase;
  readsAlone: QueryLoadResult & { databaseTime?: Record<string, ReadStatementTime> };
  writesWithReads: WritePhase & { reads: QueryLoadResult & { databaseTime?: Record<string, ReadStatementTime> } };
  /** How much of the write throughput the reads took, in percent of writes alone. */
  writeThroughputCostPercent: number;
}

export async function runReadBench(): Promise<void> {
  process.chdir(PROJECT_ROOT);
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = os.loadavg();
  const settings = loadBenchSettings();
  const ledgerTransactions = settings.quick ? LEDGER_TRANSACTIONS_QUICK : LEDGER_TRANSACTIONS;
  const durationSeconds = settings.durationSeconds * DURATION_FACTOR;
  note(`read bench: ${ledgerTransactions.toLocaleString('en-US')} transactions over ${settings.accounts} accounts, ${durationSeconds} s per phase`);
  note('building the service (tsc -p tsconfig.build.json)');
  buildProject(PROJECT_ROOT);
  const database = await openBenchDatabase(settings.databaseUrl, settings.postgresFlags);
  try {
    note(`database: ${database.description}; loading the ledger with set-based SQL`);
    const loadStart = Date.now();
    await loadReadLedger(database.url, settings.accounts, ledgerTransactions);
    const ledgerLoadSeconds = Math.round((Date.now() - loadStart) / 100) / 10;
    note(`loaded in ${ledgerLoadSeconds} s`);
    const statementStats = await enableStatementStats(database.url);
    const historyEndMs = Date.now();
    const space: ReadSpace = { accounts: settings.accounts, transactions: ledgerTransactions, historyStartMs: historyEndMs - HISTORY_DAYS * 24 * 3_600_000, historyEndMs };
    const configuration = SERVICE_CONFIGURATIONS[0]!;
    const service = await startService(database.url, { LOG_LEVEL: settings.serviceLogLevel, ...configuration.environment, ...settings.serviceEnvironment });
    try {
      await writes(settings, service, settings.warmupSeconds, 'warm-up (not measured)');
      await (await reads(service, space, READ_WARM_UP_SECONDS)).run();
      await settleDatabase(database.url);
      const before = await countLedgerTransactions(database.url);
      const writesAlone = summarizeWrites(await writes(settings, service, durationSeconds, 'writes alone'));
      await settleDatabase(database.url);
      note('  reads alone ...');
      const timesSince = async () => (statementStats.available ? resetReadStatementTimes(database.url) : undefined);
      await timesSince();
      const readsAlone = { ...(await (await reads(service, space, durationSeconds)).run()), databaseTime: await readReadStatementTimes(database.url) };
      await settleDatabase(database.url);
      const readLoad = await reads(service, space, durationSeconds);
      await timesSince();
      const both = await writes(settings, service, durationSeconds, 'writes with reads', async () => readLoad.start());
      const readsBeside = { ...(await readLoad.finished()), databaseTime: await readReadStatementTimes(database.url) };
      note(`ledger: ${(await countLedgerTransactions(database.url)) - before} transactions written while measured`);
      const writesWithReads = { ...summarizeWrites(both), reads: readsBeside };
      const report: ReadBenchReport = {
        startedAt,
        finishedAt: new Date().toISOString(),
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', memoryBytes: os.totalmem(), node: process.version, loadAverageAtStart },
        settings: {
          accounts: settings.accounts, ledgerTransactions, historyDays: HISTORY_DAYS, durationSeconds, writeConnections: settings.connections,
          readRatePerSecond: READ_RATE_PER_SECOND, readConnections: READ_CONNECTIONS, serviceConfiguration: configuration.name,
        },
        ledgerLoadSeconds,
        writesAlone,
        readsAlone,
        writesWithReads,
        writeThroughputCostPercent: Math.round((1000 * (writesAlone.throughput - writesWithReads.throughput)) / Math.max(1, writesAlone.throughput)) / 10,
      };
      const written = await writeReadReport(report, settings.quick ? QUICK_RESULTS_FOLDER : RESULTS_FOLDER);
      process.stdout.write(`${formatReadTable(report)}\n\nwrote ${path.relative(PROJECT_ROOT, written)}\n`);
      if (writesAlone.failed + writesWithReads.failed + readsAlone.all.failed + readsBeside.all.failed > 0) process.exitCode = 1;
    } finally {
      await service.stop();
    }
  } finally {
    await database.stop();
  }
}

async function writes(settings: BenchSettings, service: ServiceProcess, durationSeconds: number, label: string, beforeLoad: () => Promise<void> = async () => {}): Promise<LoadResult> {
  const job = { url: service.url, apiKey: BENCH_API_KEY, kind: 'uniform' as const, accounts: settings.accounts, connections: settings.connections, durationSeconds };
  const result = await runLoad(job, label, beforeLoad);
  if (result.succeeded === 0) throw new Error(`${label}: no successful answer: ${result.firstFailure ?? 'no response'}\n${service.output()}`);
  return result;
}

/** A read load ready to start: `run()` runs it alone; `start()` and `finished()` run it beside another load. */
async function reads(service: ServiceProcess, space: ReadSpace, durationSeconds: number) {
  const load = await prepareQueryLoad({ url: service.url, apiKey: BENCH_API_KEY, space, ratePerSecond: READ_RATE_PER_SECOND, connections: READ_CONNECTIONS, durationSeconds });
  return {
    start: async () => load.go(),
    finished: () => load.result,
    run: () => {
      load.go();
      return load.result;
    },
  };
}

function summarizeWrites(result: LoadResult): WritePhase {
  return { throughput: result.requestsPerSecond, p99Ms: result.latencyMs.p99, failed: result.non2xx + result.errors + result.timeouts };
}

async function writeReadReport(report: ReadBenchReport, folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, `reads-${report.startedAt.replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

export function formatReadTable(report: ReadBenchReport): string {
  const { writesAlone, writesWithReads, readsAlone } = report;
  const lines = [
    `ledger: ${report.settings.ledgerTransactions.toLocaleString('en-US')} transactions, ${report.settings.accounts.toLocaleString('en-US')} accounts (loaded in ${report.ledgerLoadSeconds} s); ${report.settings.durationSeconds} s per phase`,
    `writes alone:      ${writesAlone.throughput.toLocaleString('en-US')} transfers/s, p99 ${writesAlone.p99Ms} ms`,
    `writes with reads: ${writesWithReads.throughput.toLocaleString('en-US')} transfers/s, p99 ${writesWithReads.p99Ms} ms (${costText(report.writeThroughputCostPercent)}, reads at ${report.settings.readRatePerSecond}/s)`,
    '',
    `${'read'.padEnd(30)} ${'alone p50'.padStart(10)} ${'alone p99'.padStart(10)} ${'w/ writes p50'.padStart(14)} ${'w/ writes p99'.padStart(14)} ${'max'.padStart(8)}`,
  ];
  for (const kind of [...QUERY_KINDS, 'all'] as const) {
    const alone = kind === 'all' ? readsAlone.all : readsAlone.byKind[kind];
    const beside = kind === 'all' ? writesWithReads.reads.all : writesWithReads.reads.byKind[kind];
    lines.push(`${kind.padEnd(30)} ${ms(alone.p50Ms).padStart(10)} ${ms(alone.p99Ms).padStart(10)} ${ms(beside.p50Ms).padStart(14)} ${ms(beside.p99Ms).padStart(14)} ${ms(beside.maxMs).padStart(8)}`);
  }
  const times = writesWithReads.reads.databaseTime;
  if (times) {
    const perStatement = Object.entries(times).map(([name, time]) => `${name} ${time.meanMs} ms mean, ${time.maxMs} ms max (${time.calls} calls)`);
    lines.push('', `database time per read statement, with writes (pg_stat_statements): ${perStatement.join('; ')}`);
  }
  const failures = readsAlone.all.failed + writesWithReads.reads.all.failed;
  if (failures) lines.push(`READS FAILED: ${failures} (${writesWithReads.reads.firstFailure ?? readsAlone.firstFailure})`);
  return lines.join('\n');
}

function costText(percent: number): string {
  return percent >= 0 ? `${percent}% fewer` : `${-percent}% more: noise`;
}

function ms(value: number): string {
  return `${value} ms`;
}
