import os from 'node:os';
import path from 'node:path';
import { runAbBench } from './ab.js';
import { runBaselines } from './baselineRuns.js';
import { CpuMeter, mainThreadCpuSeconds } from './cpu.js';
import { batchesSince, countLedgerTransactions, openBenchDatabase, settleDatabase, withClient } from './database.js';
import { runLoad } from './loadClient.js';
import { applyBaselineRatios } from './headlineBaseline.js';
import { runHoldBaseline } from './holdBaselineRuns.js';
import { runMultiLegBaseline } from './multiLegBaselineRuns.js';
import { checkPlainHolds } from './holdCheck.js';
import { findPgbench, type BaselineSamples } from './pgbench.js';
import { createPlainBaseline } from './plainBaseline.js';
import { note } from './progress.js';
import { buildProject } from './projectBuild.js';
import { runReadBench } from './readBench.js';
import { runRelayBench } from './relay.js';
import { runReplicaBench } from './replicaBench.js';
import { runScalingBench } from './scalingBench.js';
import type { RelayReport } from './relayResults.js';
import { formatTable, writeReport } from './report.js';
import type { BenchReport, Measurement, ServiceRun } from './results.js';
import { checkLedger, seedAccounts, type LedgerCheck } from './seed.js';
import { BENCH_API_KEY, startService, type ServiceProcess } from './serviceProcess.js';
import { processGroups, readStatements, startStatementStats, type RunContext } from './runContext.js';
import { loadBenchSettings } from './settings.js';
import { enableStatementStats } from './statementStats.js';
import { WaitSampler } from './waitEvents.js';
import { SCENARIOS, SERVICE_CONFIGURATIONS, type ScenarioName, type ServiceConfiguration } from './plan.js';
import { PROJECT_ROOT } from '../src/paths.js';

// `npm run bench`: the service over HTTP against pgbench's one-SQL-transaction-per-transfer
// baselines (plain tables, and the project's own), on one database, in one run. See bench/README.md.

const RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench', 'results');
/** Average CPU of processes outside the benchmark above which the run is flagged as noisy, in percent of one core. */
const NOISY_OTHER_CPU_PERCENT = 20;
/** Smoke-test figures (BENCH_QUICK=1) are not results: they go to an ignored folder. */
const QUICK_RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench', '.work', 'results');

async function main(): Promise<void> {
  process.chdir(PROJECT_ROOT);
  const startedAt = new Date().toISOString();
  const settings = loadBenchSettings();
  note(`wallet ledger bench: ${settings.durationSeconds} s per scenario, ${settings.connections} clients, ${settings.accounts} accounts`);
  buildService();
  const pgbench = findPgbench();
  const database = await openBenchDatabase(settings.databaseUrl, settings.postgresFlags);
  const statementStats = await enableStatementStats(database.url);
  const context: RunContext = { settings, database, statementStats, pgbench, measurements: [], notes: [], loadAverageAtStart: os.loadavg() };
  if (statementStats.note) context.notes.push(statementStats.note);
  try {
    note(`database: ${database.description}; seeding ${settings.accounts} accounts`);
    await seedAccounts(database.url, settings.accounts);
    await createPlainBaseline(database.url);
    const services = await runServiceConfigurations(context);
    const relay = settings.relay ? await runRelay(context) : undefined;
    const ledgerCheck = await checkLedger(database.url);
    const plainBaselineLedgerCheck = withHoldProblems(await checkLedger(database.url, 'baseline'), await checkPlainHolds(database.url));
    const report = { ...assembleReport(context, services, ledgerCheck, startedAt, relay), plainBaselineLedgerCheck };
    const { jsonPath, svgPath } = await writeReport(report, settings.quick ? QUICK_RESULTS_FOLDER : RESULTS_FOLDER);
    process.stdout.write(`${formatTable(report)}\n\nwrote ${path.relative(PROJECT_ROOT, jsonPath)} and ${path.relative(PROJECT_ROOT, svgPath)}\n`);
    if (!ledgerCheck.passed || !plainBaselineLedgerCheck.passed || hasFailures(context.measurements)) process.exitCode = 1;
  } finally {
    await database.stop();
  }
}

function withHoldProblems(check: LedgerCheck, holdProblems: string[]): LedgerCheck {
  return { ...check, passed: check.passed && holdProblems.length === 0, problems: [...check.problems, ...holdProblems] };
}

function buildService(): void {
  note('building the service (tsc -p tsconfig.build.json)');
  buildProject(PROJECT_ROOT);
}

async function runServiceConfigurations(context: RunContext): Promise<ServiceRun[]> {
  const runs: ServiceRun[] = [];
  for (const configuration of SERVICE_CONFIGURATIONS) {
    const environment = serviceEnvironment(context, configuration);
    note(`\nservice ${configuration.name} (${Object.entries(environment).map(([k, v]) => `${k}=${v}`).join(' ')})`);
    const service = await startService(context.database.url, environment);
    try {
      await warmUp(context, service);
      if (runs.length === 0) {
        // The baseline copies bytes the warm-up wrote. Its transfers then move the seeded accounts'
        // balances behind the back of a service that remembers its rows: it warms up again.
        const samples = await readBaselineSamples(context.database.url);
        await runBaselines(context, samples);
        await runHoldBaseline(context, samples);
        await runMultiLegBaseline(context, samples);
        await warmUp(context, service);
      }
      await runScenarios(context, service, configuration.name, configuration.scenarios);
      runs.push({ configuration: configuration.name, environment, peakRssBytes: await service.peakRssBytes(), threads: await service.threads(), exitCode: null });
    } finally {
      const exitCode = await service.stop();
      if (runs.at(-1)?.configuration === configuration.name) runs.at(-1)!.exitCode = exitCode;
    }
  }
  return runs;
}

function serviceEnvironment(context: RunContext, configuration: ServiceConfiguration): Record<string, string> {
  return { LOG_LEVEL: context.settings.serviceLogLevel, ...configuration.environment, ...context.settings.serviceEnvironment };
}

/** The outbox relay against the first configuration's service, whose uniform peak (and hold events' rate) it must keep up with. */
async function runRelay(context: RunContext): Promise<RelayReport | undefined> {
  const configuration = SERVICE_CONFIGURATIONS[0]!;
  const measured = (name: string) => context.measurements.find((m) => m.system === 'service' && m.serviceConfiguration === configuration.name && m.name === name);
  const holds = measured('authorize_capture');
  return runRelayBench({
    settings: context.settings,
    database: context.database,
    peakWriteRate: measured('uniform')?.throughput,
    // Three events a pair of writes: hold.created, then the capture's transfer.posted and hold.captured.
    holdEventRate: holds && Math.round(holds.throughput * 1.5),
    notes: context.notes,
    startWarmService: async () => {
      const service = await startService(context.database.url, serviceEnvironment(context, configuration));
      await warmUp(context, service);
      return service;
    },
  });
}

async function warmUp(context: RunContext, service: ServiceProcess): Promise<void> {
  const job = { url: service.url, apiKey: BENCH_API_KEY, kind: 'uniform' as const, accounts: context.settings.accounts, connections: context.settings.connections, durationSeconds: context.settings.warmupSeconds };
  const result = await runLoad(job, 'warm-up (not measured)', async () => {});
  if (result.succeeded === 0) throw new Error(`the warm-up got no successful answer: ${result.firstFailure ?? 'no response'}\n${service.output()}`);
}

async function runScenarios(context: RunContext, service: ServiceProcess, configuration: string, names: ScenarioName[]): Promise<void> {
  for (const name of names) {
    const scenario = SCENARIOS[name];
    let targetRate: number | undefined;
    if (scenario.halfOfPeakOf) {
      const peak = context.measurements.find((m) => m.system === 'service' && m.serviceConfiguration === configuration && m.name === scenario.halfOfPeakOf);
      if (!peak) throw new Error(`scenario ${name} needs ${scenario.halfOfPeakOf} measured first`);
      targetRate = Math.max(1, Math.round(peak.throughput / 2));
    }
    if (scenario.ownWarmUpSeconds) await warmUpScenario(context, service, name);
    context.measurements.push(await measureHttp(context, service, configuration, name, targetRate));
  }
}

/** A scenario's own load, unmeasured, for a write path the service's warm-up did not take. */
async function warmUpScenario(context: RunContext, service: ServiceProcess, name: ScenarioName): Promise<void> {
  const scenario = SCENARIOS[name];
  const { settings } = context;
  const durationSeconds = Math.min(scenario.ownWarmUpSeconds ?? 0, settings.warmupSeconds);
  const job = { url: service.url, apiKey: BENCH_API_KEY, kind: scenario.kind, accounts: settings.accounts, connections: settings.connections, durationSeconds };
  const result = await runLoad(job, `${scenario.number} ${name} warm-up (not measured)`, async () => {});
  if (result.succeeded === 0) throw new Error(`the ${name} warm-up got no successful answer: ${result.firstFailure ?? 'no response'}\n${service.output()}`);
}

async function measureHttp(context: RunContext, service: ServiceProcess, configuration: string, name: ScenarioName, targetRate?: number): Promise<Measurement> {
  const scenario = SCENARIOS[name];
  const { settings, database } = context;
  await settleDatabase(database.url);
  const before = await countLedgerTransactions(database.url);
  const since = new Date();
  let meter: CpuMeter | undefined;
  let sampler: WaitSampler | undefined;
  let statementsSince: number | undefined;
  let mainThreadAtStart: number | undefined;
  const durationSeconds = settings.durationSeconds * (scenario.durationFactor ?? 1);
  const job = { url: service.url, apiKey: BENCH_API_KEY, kind: scenario.kind, accounts: settings.accounts, connections: settings.connections, durationSeconds, ...(targetRate ? { overallRate: targetRate } : {}) };
  const label = `${scenario.number} ${name}${configuration === SERVICE_CONFIGURATIONS[0]!.name ? '' : ` [${configuration}]`}${targetRate ? ` @${targetRate}/s` : ''}`;
  const http = await runLoad(job, label, async (loadPid) => {
    sampler = await WaitSampler.start(database.url, 'wallet-ledger%');
    meter = await CpuMeter.start(processGroups(database, { service: service.pid, load: loadPid }));
    statementsSince = await startStatementStats(context);
    mainThreadAtStart = mainThreadCpuSeconds(service.pid);
  });
  const mainThreadSeconds = (mainThreadCpuSeconds(service.pid) ?? Number.NaN) - (mainThreadAtStart ?? Number.NaN);
  const cpuPercent = await meter!.stop();
  const waits = await sampler!.stop();
  const statements = await readStatements(database, statementsSince);
  const written = (await countLedgerTransactions(database.url)) - before;
  const batches = await batchesSince(database.url, since);
  return {
    scenario: scenario.number, name, system: 'service',
    operationsPerBatch: batches.batches ? Math.round((10 * batches.operations) / batches.batches) / 10 : 0, serviceConfiguration: configuration,
    connections: settings.connections, durationSeconds: http.durationSeconds,
    ...(targetRate ? { targetRate } : {}),
    throughput: http.requestsPerSecond, ...(scenario.baseline ? { baseline: scenario.baseline } : {}),
    ...(http.sequencesCompleted === undefined ? {} : { pairsPerSecond: Math.round(http.sequencesCompleted / http.durationSeconds) }),
    http, cpuPercent, ...mainThreadFigures(mainThreadSeconds, http.durationSeconds, http.statusCounts['201'] ?? 0), waits, ...statements, ledgerTransactionsWritten: written,
    // A hold writes no ledger transaction; its capture writes one.
    ledgerTransactionsExpected: http.sequencesCompleted ?? http.statusCounts['201'] ?? 0,
  };
}

/** A stored request fingerprint the service wrote during the warm-up. */
async function readBaselineSamples(url: string): Promise<BaselineSamples> {
  return withClient(url, async (client) => {
    const stored = await client.query<{ fingerprint: string }>(
      'SELECT fingerprint FROM idempotency_keys WHERE status_code = 201 ORDER BY created_at DESC LIMIT 1',
    );
    if (!stored.rows[0]) throw new Error('the warm-up wrote no idempotency row to copy for the baseline');
    return { fingerprint: stored.rows[0].fingerprint };
  });
}

/** The main thread's CPU over the load, per 201 answer; left out where /proc has no figure. */
function mainThreadFigures(seconds: number, durationSeconds: number, writes: number): Pick<Measurement, 'mainThreadCpu'> {
  if (!Number.isFinite(seconds)) return {};
  const percent = Math.round((1000 * seconds) / durationSeconds) / 10;
  return { mainThreadCpu: { percent, microsecondsPerWrite: writes > 0 ? Math.round((seconds * 1e6) / writes) : null } };
}

function assembleReport(context: RunContext, services: ServiceRun[], ledgerCheck: BenchReport['ledgerCheck'], startedAt: string, relay: RelayReport | undefined): BenchReport {
  applyBaselineRatios(context.measurements);
  for (const m of context.measurements) {
    // Requests still in flight when the load stops commit without being counted: at most one per connection.
    const unaccounted = m.ledgerTransactionsWritten - m.ledgerTransactionsExpected;
    if (unaccounted < 0 || unaccounted > m.connections) {
      context.notes.push(`${m.system} ${m.serviceConfiguration} ${m.name}: the database gained ${m.ledgerTransactionsWritten} ledger transactions, the responses promised ${m.ledgerTransactionsExpected}`);
    }
  }
  const others = context.measurements.map((m) => m.cpuPercent.other ?? 0);
  const otherAverage = Math.round(others.reduce((sum, value) => sum + value, 0) / Math.max(1, others.length));
  if (otherAverage > NOISY_OTHER_CPU_PERCENT) {
    context.notes.push(`the machine was shared: other processes used ${otherAverage}% CPU (of one core) on average during the measurements, up to ${Math.max(...others)}%; treat these figures as noisy`);
  }
  const cpus = os.cpus();
  const { settings, database } = context;
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown', memoryBytes: os.totalmem(), os: `${os.type()} ${os.release()}`, node: process.version, loadAverageAtStart: context.loadAverageAtStart },
    settings: { durationSeconds: settings.durationSeconds, quick: settings.quick, connections: settings.connections, accounts: settings.accounts, serviceLogLevel: settings.serviceLogLevel },
    database: { description: database.description, serverVersion: database.serverVersion, settings: database.settings, pgbench: context.pgbench },
    measurements: context.measurements,
    services,
    ...(relay ? { relay } : {}),
    ledgerCheck,
    notes: context.notes,
  };
}

function hasFailures(measurements: Measurement[]): boolean {
  return measurements.some((m) => (m.http ? m.http.non2xx + m.http.errors + m.http.timeouts > 0 : (m.pgbench?.failed ?? 0) > 0));
}

// `npm run bench -- --ab`: the same-run A/B of another git ref against this working tree (ab.ts).
// `npm run bench -- --reads`: the balance history and list queries beside writes, alone (readBench.ts).
// `npm run bench -- --scaling`: one service process against two on one primary, its WAL, the relay (scalingBench.ts).
// `npm run bench -- --replica`: the mixed scenario on a primary alone, then with a streaming replica (replicaBench.ts).
const ENTRIES: Array<[string, () => Promise<unknown>]> = [
  ['--ab', runAbBench],
  ['--reads', runReadBench],
  ['--scaling', runScalingBench],
  ['--replica', runReplicaBench],
];
const entry = ENTRIES.find(([flag]) => process.argv.includes(flag))?.[1] ?? main;
entry().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
