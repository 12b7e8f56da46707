import { CpuMeter } from './cpu.js';
import { countLedgerTransactions, settleDatabase, type LedgerSchema } from './database.js';
import { startBaseline, type BaselineResult, type BaselineSamples } from './pgbench.js';
import type { Measurement } from './results.js';
import { processGroups, readStatements, startStatementStats, type RunContext } from './runContext.js';
import { WaitSampler } from './waitEvents.js';

// One measured pgbench run with the probes every measurement takes (CPU, wait events, statements)
// and the ledger transactions it wrote: the transfer baselines (baselineRuns.ts) and the
// authorize-then-capture baseline (holdBaselineRuns.ts) both measure through it.

export interface PgbenchRun {
  script: { name: string; text: string };
  clients: number;
  /** The tables whose ledger transactions the run writes. */
  schema: LedgerSchema;
  label: string;
}

export type PgbenchFigures = Pick<Measurement, 'cpuPercent' | 'waits' | 'statements' | 'ledgerTransactionsWritten'> & { pgbench: BaselineResult };

export async function measurePgbench(context: RunContext, samples: BaselineSamples, run: PgbenchRun): Promise<PgbenchFigures> {
  const { settings, database } = context;
  await settleDatabase(database.url);
  const before = await countLedgerTransactions(database.url, run.schema);
  const sampler = await WaitSampler.start(database.url, 'pgbench');
  const meter = await CpuMeter.start(processGroups(database, {}));
  const statementsSince = await startStatementStats(context);
  const running = await startBaseline({
    binary: context.pgbench, databaseUrl: database.url, script: run.script, clients: run.clients,
    durationSeconds: settings.durationSeconds, samples, label: run.label,
  });
  meter.addGroup('pgbench', running.pid);
  const pgbench = await running.result;
  const cpuPercent = await meter.stop();
  const waits = await sampler.stop();
  const statements = await readStatements(database, statementsSince);
  const ledgerTransactionsWritten = (await countLedgerTransactions(database.url, run.schema)) - before;
  return { pgbench, cpuPercent, waits, ...statements, ledgerTransactionsWritten };
}

/** An unmeasured short run, as the baseline's engineer would tune its client count: its rate only. */
export async function tryPgbench(context: RunContext, samples: BaselineSamples, run: Omit<PgbenchRun, 'schema'>, seconds: number): Promise<number> {
  await settleDatabase(context.database.url);
  const running = await startBaseline({
    binary: context.pgbench, databaseUrl: context.database.url, script: run.script, clients: run.clients,
    durationSeconds: seconds, samples, label: run.label,
  });
  return (await running.result).transactionsPerSecond;
}
