import os from 'node:os';
import path from 'node:path';
import { formatAbTable, summarizeAb, writeAbReport, type AbFigures, type AbReport, type AbScenario, type AbTurn } from './abReport.js';
import { mainThreadCpuSeconds } from './cpu.js';
import { openBenchDatabase, settleDatabase, type BenchDatabase } from './database.js';
import { runLoad } from './loadClient.js';
import { note } from './progress.js';
import { buildProject } from './projectBuild.js';
import { checkOutRef, describeWorkingTree, type RefCheckout } from './refWorktree.js';
import { moveSchemaTo } from './schemaSides.js';
import { checkLedger, seedAccounts } from './seed.js';
import { BENCH_API_KEY, startService } from './serviceProcess.js';
import { loadBenchSettings, type BenchSettings } from './settings.js';
import { PROJECT_ROOT } from '../src/paths.js';

// `BENCH_AB_REF=<git ref> npm run bench -- --ab`: the service of another git ref (A) and this
// working tree's (B), on one database, in alternating turns of the same load, so that both meet
// the same machine, the same database growth and the same neighbours. Each turn starts a fresh
// service (the two would otherwise find each other's writes in the rows they remember), warms it
// up and measures each of BENCH_AB_SCENARIOS (uniform and hot transfers by default) for
// BENCH_DURATION_S. Rounds alternate the order (A B, B A, A B, ...): a drift over the run (a
// growing database, a machine that gets busier) then weighs on both sides alike. With
// BENCH_AB_A_SCHEMA=previous, A's turns run without the newest migration (schemaSides.ts). See
// bench/README.md.

const RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench', 'results');
const QUICK_RESULTS_FOLDER = path.join(PROJECT_ROOT, 'bench', '.work', 'results');

type Side = AbTurn['side'];

export async function runAbBench(): Promise<void> {
  const startedAt = new Date().toISOString();
  const settings = loadBenchSettings();
  const ref = settings.ab.ref;
  if (!ref) throw new Error('BENCH_AB_REF must name the git ref to run as A (this working tree is B), e.g. BENCH_AB_REF=main');
  process.chdir(PROJECT_ROOT);
  const sideB = Object.entries(settings.ab.sideBEnvironment).map(([name, value]) => `${name}=${value}`).join(' ');
  note(`A/B: ${ref} (A${settings.ab.aSchemaPrevious ? ', without the newest migration' : ''}) against this working tree (B${sideB ? `, with ${sideB}` : ''}), ${settings.ab.rounds} rounds of ${settings.ab.partitionModes.join(' and ')}, ` +
    `${settings.durationSeconds} s per scenario, ${settings.connections} connections`);
  note(`checking out and building ${ref} (A)`);
  const checkout = await checkOutRef(PROJECT_ROOT, ref);
  const removeOnSignal = () => void checkout.remove().finally(() => process.exit(130));
  process.once('SIGINT', removeOnSignal).once('SIGTERM', removeOnSignal);
  try {
    note('building this working tree (B)');
    buildProject(PROJECT_ROOT);
    const database = await openBenchDatabase(settings.databaseUrl, settings.postgresFlags);
    try {
      note(`database: ${database.description} (migrated by this working tree); seeding ${settings.accounts} accounts`);
      await seedAccounts(database.url, settings.accounts);
      const turns = await runRounds(settings, database, checkout);
      if (settings.ab.aSchemaPrevious) await moveSchemaTo('B', database.url);
      const ledgerCheck = await checkLedger(database.url);
      const report: AbReport = {
        startedAt, finishedAt: new Date().toISOString(),
        a: { ref, commit: checkout.commit },
        b: { ref: 'working tree', ...describeWorkingTree(PROJECT_ROOT) },
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', node: process.version, loadAverageAtStart: os.loadavg() },
        settings: { durationSeconds: settings.durationSeconds, warmupSeconds: settings.warmupSeconds, connections: settings.connections, accounts: settings.accounts, rounds: settings.ab.rounds, serviceEnvironment: settings.serviceEnvironment, sideBEnvironment: settings.ab.sideBEnvironment,
          ...(settings.ab.aSchemaPrevious ? { aSchema: 'previous' as const } : {}) },
        database: { description: database.description, serverVersion: database.serverVersion, settings: database.settings },
        turns, summary: summarizeAb(turns), ledgerCheck,
      };
      const jsonPath = await writeAbReport(report, settings.quick ? QUICK_RESULTS_FOLDER : RESULTS_FOLDER);
      process.stdout.write(`${formatAbTable(report)}\n\nwrote ${path.relative(PROJECT_ROOT, jsonPath)}\n`);
      if (!ledgerCheck.passed || turns.some((turn) => Object.values(turn.scenarios).some((figures) => figures.failures > 0))) process.exitCode = 1;
    } finally {
      await database.stop();
    }
  } finally {
    process.off('SIGINT', removeOnSignal).off('SIGTERM', removeOnSignal);
    await checkout.remove();
  }
}

async function runRounds(settings: BenchSettings, database: BenchDatabase, checkout: RefCheckout): Promise<AbTurn[]> {
  const turns: AbTurn[] = [];
  for (let round = 1; round <= settings.ab.rounds; round++) {
    const order: Side[] = round % 2 === 1 ? ['A', 'B'] : ['B', 'A'];
    for (const partitionMode of settings.ab.partitionModes) {
      for (const side of order) {
        const root = side === 'A' ? checkout.root : PROJECT_ROOT;
        note(`\nround ${round}, PARTITION_MODE=${partitionMode}, ${side} (${side === 'A' ? `${checkout.ref} ${checkout.commit.slice(0, 10)}` : 'working tree'})`);
        const sideEnvironment = side === 'B' ? settings.ab.sideBEnvironment : {};
        if (settings.ab.aSchemaPrevious) await moveSchemaTo(side, database.url);
        turns.push({ round, partitionMode, side, scenarios: await runTurn(settings, database, root, partitionMode, sideEnvironment, `${round} ${partitionMode} ${side}`) });
      }
    }
  }
  return turns;
}

/** One fresh service of one side: warmed up, then each scenario measured as fast as it answers. */
async function runTurn(
  settings: BenchSettings,
  database: BenchDatabase,
  root: string,
  partitionMode: string,
  sideEnvironment: Record<string, string>,
  label: string,
): Promise<Partial<Record<AbScenario, AbFigures>>> {
  const environment = { LOG_LEVEL: settings.serviceLogLevel, PARTITION_MODE: partitionMode, ...settings.serviceEnvironment, ...sideEnvironment };
  // The same readiness wait for both sides: an older ref's /readyz refuses a newer schema.
  const service = await startService(database.url, environment, { root, readinessPath: '/healthz' });
  try {
    const load = { url: service.url, apiKey: BENCH_API_KEY, accounts: settings.accounts, connections: settings.connections };
    const warmUp = await runLoad({ ...load, kind: 'uniform', durationSeconds: settings.warmupSeconds }, `${label} warm-up (not measured)`, async () => {});
    if (warmUp.succeeded === 0) throw new Error(`${label}: the warm-up got no successful answer: ${warmUp.firstFailure ?? 'no response'}\n${service.output()}`);
    const figures: Partial<Record<AbScenario, AbFigures>> = {};
    for (const scenario of settings.ab.scenarios) {
      await settleDatabase(database.url);
      let mainThreadAtStart = Number.NaN;
      const http = await runLoad({ ...load, kind: scenario, durationSeconds: settings.durationSeconds }, `${label} ${scenario}`, async () => {
        mainThreadAtStart = mainThreadCpuSeconds(service.pid) ?? Number.NaN;
      });
      const mainThreadSeconds = (mainThreadCpuSeconds(service.pid) ?? Number.NaN) - mainThreadAtStart;
      const writes = http.statusCounts['201'] ?? 0;
      figures[scenario] = {
        requestsPerSecond: http.requestsPerSecond,
        p99Ms: http.latencyMs.p99,
        failures: http.non2xx + http.errors + http.timeouts,
        mainThreadMicrosecondsPerWrite: Number.isFinite(mainThreadSeconds) && writes > 0 ? Math.round((mainThreadSeconds * 1e6) / writes) : null,
        ...(http.firstFailure ? { firstFailure: http.firstFailure } : {}),
      };
    }
    return figures;
  } finally {
    await service.stop();
  }
}
