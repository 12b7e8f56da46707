import { access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startLocalBroker } from '../test/support/rabbitmqServer.js';
import { CpuMeter, mainThreadCpuSeconds } from './cpu.js';
import { batchesSince, countLedgerTransactions, openBenchDatabase, settleDatabase, type BenchDatabase } from './database.js';
import { measureFsyncCeiling } from './fsyncCeiling.js';
import { runLoad } from './loadClient.js';
import { SERVICE_CONFIGURATIONS } from './plan.js';
import { note } from './progress.js';
import { buildProject } from './projectBuild.js';
import { setAsideUnpublished } from './relayBacklog.js';
import { processGroups } from './runContext.js';
import { phaseFigures, type PhaseSample } from './scalingFigures.js';
import { measureRelayBesideWrites, measureRelayDrain } from './scalingRelay.js';
import { assembleScalingReport, formatScalingTable, writeScalingReport, type ScalingPhase, type ScalingRelay } from './scalingReport.js';
import { checkLedger, seedAccounts } from './seed.js';
import { BENCH_API_KEY, startService, type ServiceProcess } from './serviceProcess.js';
import { loadBenchSettings, type BenchSettings } from './settings.js';
import { readWal, readWalSyncMethod, walDelta, WAL_STATS_SETTLE_MS } from './walStats.js';
import { PROJECT_ROOT } from '../src/paths.js';

// `npm run bench -- --scaling`: where the limits move when the service scales out on one primary.
// In one run, on one database: one service process against two (replicas) under the same load
// generator and the same total connections, alternating (one, two, two, one) so that a drift of the
// machine weighs on both; the primary's WAL bytes and flushes per write; pg_test_fsync on the data
// directory's disk; and one outbox relay, draining alone and beside the writes. See bench/README.md.

const RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench', 'results');
const QUICK_RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench', '.work', 'results');
/** Service processes per measurement, in order: ABBA, so the second round runs the first backwards. */
const PHASE_ORDER = [1, 2, 2, 1] as const;
/** Unmeasured load on the phase's own processes first: a process's remembered rows go stale while another writes. */
const REWARM_SECONDS = 5;
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export async function runScalingBench(): Promise<void> {
  process.chdir(PROJECT_ROOT);
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = os.loadavg();
  const settings = loadBenchSettings();
  note(`scaling bench: ${settings.durationSeconds} s per measurement, ${settings.connections} connections in all, ${settings.accounts} accounts`);
  note('building the service (tsc -p tsconfig.build.json)');
  buildProject(PROJECT_ROOT);
  const database = await openBenchDatabase(settings.databaseUrl, settings.postgresFlags);
  const notes: string[] = [];
  try {
    note(`database: ${database.description}; seeding ${settings.accounts} accounts`);
    await seedAccounts(database.url, settings.accounts);
    const fsync = await measureFsync(database, notes);
    const walSyncMethod = await readWalSyncMethod(database.url);
    const phases = await measureProcesses(settings, database);
    const relay = await measureRelay(settings, database, notes);
    const ledgerCheck = await checkLedger(database.url);
    const report = assembleScalingReport({
      startedAt, loadAverageAtStart, settings, database, walSyncMethod, fsync, phases, relay, ledgerCheck, notes,
    });
    const written = await writeScalingReport(report, settings.quick ? QUICK_RESULTS_FOLDER : RESULTS_FOLDER);
    process.stdout.write(`${formatScalingTable(report)}\n\nwrote ${path.relative(PROJECT_ROOT, written)}\n`);
    const failed = phases.some((phase) => phase.failedWrites > 0) || (relay?.besideWrites.failedWrites ?? 0) > 0;
    if (!ledgerCheck.passed || failed) process.exitCode = 1;
  } finally {
    await database.stop();
  }
}

async function measureFsync(database: BenchDatabase, notes: string[]) {
  if (!database.dataDirectory) {
    notes.push('pg_test_fsync was not run: with BENCH_DATABASE_URL the data directory\'s disk is not known');
    return undefined;
  }
  note('pg_test_fsync on the data directory\'s disk (about 30 s)');
  const fsync = await measureFsyncCeiling(database.dataDirectory);
  if (!fsync) notes.push('pg_test_fsync was not found (it ships with the PostgreSQL server package)');
  return fsync;
}

/** Two service processes on the database, measured alone (the first) and together, in PHASE_ORDER. */
async function measureProcesses(settings: BenchSettings, database: BenchDatabase): Promise<ScalingPhase[]> {
  const configuration = SERVICE_CONFIGURATIONS[0]!;
  const environment = { LOG_LEVEL: settings.serviceLogLevel, ...configuration.environment, ...settings.serviceEnvironment };
  const services: ServiceProcess[] = [];
  try {
    for (let index = 0; index < 2; index++) services.push(await startService(database.url, environment));
    note(`\ntwo service processes (${configuration.name}); warm-up over both (not measured)`);
    await load(settings, services, settings.warmupSeconds, 'warm-up (not measured)');
    const phases: ScalingPhase[] = [];
    for (const [round, processes] of PHASE_ORDER.entries()) {
      phases.push(await measurePhase(settings, database, services.slice(0, processes), Math.floor(round / 2) + 1));
    }
    return phases;
  } finally {
    for (const service of services) await service.stop();
  }
}

async function measurePhase(settings: BenchSettings, database: BenchDatabase, services: ServiceProcess[], round: number): Promise<ScalingPhase> {
  const label = `${services.length} process${services.length > 1 ? 'es' : ''}, round ${round}`;
  await load(settings, services, Math.min(REWARM_SECONDS, settings.warmupSeconds), `${label}: warm-up (not measured)`);
  await settleDatabase(database.url);
  const ledgerBefore = await countLedgerTransactions(database.url);
  const since = new Date();
  const walBefore = await readWal(database.url);
  let meter: CpuMeter | undefined;
  let mainThreadAtStart: number[] = [];
  const pids = Object.fromEntries(services.map((service, index) => [`service${index + 1}`, service.pid]));
  const http = await load(settings, services, settings.durationSeconds, label, async (loadPid) => {
    meter = await CpuMeter.start(processGroups(database, { ...pids, load: loadPid }));
    mainThreadAtStart = services.map((service) => mainThreadCpuSeconds(service.pid) ?? Number.NaN);
  });
  const mainThreadSeconds = services.map((service, index) => (mainThreadCpuSeconds(service.pid) ?? Number.NaN) - mainThreadAtStart[index]!);
  const cpuPercent = await meter!.stop();
  // Backends report their WAL counters within 10 s of going idle.
  await new Promise((resolve) => setTimeout(resolve, WAL_STATS_SETTLE_MS));
  const wal = walDelta(walBefore, await readWal(database.url));
  const ledgerTransactions = (await countLedgerTransactions(database.url)) - ledgerBefore;
  const { batches } = await batchesSince(database.url, since);
  const writes = http.statusCounts['201'] ?? 0;
  const sample: PhaseSample = {
    processes: services.length, durationSeconds: http.durationSeconds, writes, cpuPercent, mainThreadSeconds, wal, ledgerTransactions, batches,
  };
  return { round, sample, figures: phaseFigures(sample), latencyMs: { p50: http.latencyMs.p50, p99: http.latencyMs.p99 }, failedWrites: http.non2xx + http.errors + http.timeouts };
}

/** Uniform transfers over the given processes' URLs, the connections split between them by the one load generator. */
function load(settings: BenchSettings, services: ServiceProcess[], durationSeconds: number, label: string, beforeLoad: (pid: number) => Promise<void> = async () => {}) {
  const urls = services.map((service) => service.url);
  const job = {
    url: urls[0]!, ...(urls.length > 1 ? { urls } : {}), apiKey: BENCH_API_KEY, kind: 'uniform' as const,
    accounts: settings.accounts, connections: settings.connections, durationSeconds,
  };
  return runLoad(job, label, beforeLoad).then((result) => {
    if (result.succeeded === 0) throw new Error(`${label}: no successful answer: ${result.firstFailure ?? 'no response'}\n${services.map((s) => s.output()).join('\n')}`);
    return result;
  });
}

async function measureRelay(settings: BenchSettings, database: BenchDatabase, notes: string[]): Promise<ScalingRelay | undefined> {
  if (!settings.relay) return undefined;
  const broker = settings.brokerUrl
    ? { url: settings.brokerUrl, description: 'BENCH_BROKER_URL', stop: async () => {} }
    : (await access(RABBITMQ_SERVER).then(() => true, () => false)) ? await startLocalBroker() : undefined;
  if (!broker) {
    notes.push(`the relay was not measured: no BENCH_BROKER_URL and no ${RABBITMQ_SERVER}`);
    return undefined;
  }
  try {
    note(`\noutbox relay (broker: ${broker.description})`);
    await setAsideUnpublished(database.url);
    const drain = await measureRelayDrain(settings, database, broker.url);
    const configuration = SERVICE_CONFIGURATIONS[0]!;
    const service = await startService(database.url, { LOG_LEVEL: settings.serviceLogLevel, ...configuration.environment, ...settings.serviceEnvironment });
    try {
      return { broker: broker.description, drain, besideWrites: await measureRelayBesideWrites(settings, database, broker.url, service) };
    } finally {
      await service.stop();
    }
  } finally {
    await broker.stop();
  }
}
