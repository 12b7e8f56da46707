import type { LedgerSchema } from './database.js';
import type { BaselineSamples } from './pgbench.js';
import { measurePgbench, tryPgbench } from './pgbenchMeasurement.js';
import { note } from './progress.js';
import type { Measurement } from './results.js';
import type { RunContext } from './runContext.js';
import { PLAIN_VARIANTS, transferScriptFile, type BaselineKind, type BaselineTables, type PlainVariant } from './transferScripts.js';

// The pgbench baselines of a run, per kind (uniform, hot): first the plain tables, each script
// variant (transferScripts.ts) at the client count that gives it the most throughput on this
// machine (the faster variant is the headline baseline, headlineBaseline.ts), then the project's
// own tables at BENCH_CONNECTIONS clients (the earlier baseline, kept as a second row).

/**
 * Client counts tried on the plain tables before each measured plain run; the fastest is measured.
 * On two cores a hot row's queue favours few clients, group commit favours many: which wins
 * depends on the machine, so each run finds out.
 */
const PLAIN_CLIENT_COUNTS = [8, 16, 32, 64];
/** Seconds of each try: 64 clients connecting and preparing take part of the first second. */
const CLIENT_SWEEP_SECONDS = 5;
const CLIENT_SWEEP_SECONDS_QUICK = 2;

const SCHEMA_OF: Record<BaselineTables, LedgerSchema> = { plain: 'baseline', project: 'public' };

export async function runBaselines(context: RunContext, samples: BaselineSamples): Promise<void> {
  for (const kind of ['uniform', 'hot'] as BaselineKind[]) {
    for (const variant of PLAIN_VARIANTS) {
      const clientSweep = await sweepClients(context, samples, kind, variant);
      const fastest = clientSweep.reduce((best, tried) => (tried.transactionsPerSecond > best.transactionsPerSecond ? tried : best));
      const measured = await measureBaseline(context, samples, { kind, tables: 'plain', variant, clients: fastest.clients });
      context.measurements.push({ ...measured, plainVariant: variant, clientSweep });
    }
    // The earlier baseline keeps its script: SELECT … FOR UPDATE, then the updates.
    const project = { kind, tables: 'project', variant: 'select-locks', clients: context.settings.connections } as const;
    context.measurements.push(await measureBaseline(context, samples, project));
  }
}

/** Short unmeasured runs of the plain baseline at each client count, as its engineer would tune it. */
async function sweepClients(context: RunContext, samples: BaselineSamples, kind: BaselineKind, variant: PlainVariant) {
  const { settings } = context;
  const seconds = settings.quick ? CLIENT_SWEEP_SECONDS_QUICK : CLIENT_SWEEP_SECONDS;
  const script = transferScriptFile({ kind, tables: 'plain', variant, accounts: settings.accounts });
  const sweep: Array<{ clients: number; transactionsPerSecond: number }> = [];
  for (const clients of plainClientCounts(settings.connections)) {
    const label = `plain tables ${kind}, ${variant}, ${clients} clients (client sweep, not measured)`;
    sweep.push({ clients, transactionsPerSecond: await tryPgbench(context, samples, { script, clients, label }, seconds) });
  }
  note(`plain ${kind}, ${variant}: ${sweep.map((s) => `${s.clients} clients ${s.transactionsPerSecond} tps`).join(', ')}`);
  return sweep;
}

/** The client counts a plain baseline tries: the usual ones and BENCH_CONNECTIONS. */
export function plainClientCounts(connections: number): number[] {
  return [...new Set([...PLAIN_CLIENT_COUNTS, connections])].sort((a, b) => a - b);
}

interface BaselineRun {
  kind: BaselineKind;
  tables: BaselineTables;
  variant: PlainVariant;
  clients: number;
}

async function measureBaseline(context: RunContext, samples: BaselineSamples, run: BaselineRun): Promise<Measurement> {
  const { settings } = context;
  const { kind, tables, variant, clients } = run;
  const figures = await measurePgbench(context, samples, {
    script: transferScriptFile({ kind, tables, variant, accounts: settings.accounts }), clients, schema: SCHEMA_OF[tables],
    label: `baseline pgbench ${kind} transfer, ${tables === 'plain' ? `plain tables, ${variant}` : 'project schema'}, ${clients} clients`,
  });
  return {
    scenario: kind === 'uniform' ? 1 : 2, name: `${kind} transfer`, system: 'pgbench', serviceConfiguration: '', baselineTables: tables,
    connections: clients, durationSeconds: settings.durationSeconds, throughput: figures.pgbench.transactionsPerSecond,
    ...figures, ledgerTransactionsExpected: figures.pgbench.transactions,
  };
}
