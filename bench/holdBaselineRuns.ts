import { plainClientCounts } from './baselineRuns.js';
import { authorizeCaptureScriptFile } from './holdScripts.js';
import type { BaselineSamples } from './pgbench.js';
import { measurePgbench, tryPgbench } from './pgbenchMeasurement.js';
import { note } from './progress.js';
import type { Measurement } from './results.js';
import type { RunContext } from './runContext.js';
import { PLAIN_VARIANTS, type PlainVariant } from './transferScripts.js';

// The authorize-then-capture baseline of a run (holdScripts.ts, on the plain tables): both lock
// variants tried at each client count, short and unmeasured, then the fastest pair of variant and
// client count measured once. One measured run instead of one per variant (as the transfers have)
// keeps the run's time in bounds; the sweep still tells which variant won and by how much.

/** Seconds of each unmeasured try: a second shorter than the transfers' tries, as there are eight of them here. */
const SWEEP_SECONDS = 4;
const SWEEP_SECONDS_QUICK = 2;

/** Writes per pair: the hold and its capture, as the service's scenario counts them. */
export const WRITES_PER_PAIR = 2;

export interface HoldSweepTry {
  variant: PlainVariant;
  clients: number;
  transactionsPerSecond: number;
}

/** The try with the most pairs per second (the first of equals). */
export function fastestTry(sweep: HoldSweepTry[]): HoldSweepTry {
  if (sweep.length === 0) throw new Error('the authorize-then-capture sweep tried nothing');
  return sweep.reduce((best, tried) => (tried.transactionsPerSecond > best.transactionsPerSecond ? tried : best));
}

export async function runHoldBaseline(context: RunContext, samples: BaselineSamples): Promise<void> {
  const { settings } = context;
  const sweep: HoldSweepTry[] = [];
  for (const variant of PLAIN_VARIANTS) {
    const script = authorizeCaptureScriptFile({ accounts: settings.accounts, variant });
    for (const clients of plainClientCounts(settings.connections)) {
      const label = `plain tables authorize_capture, ${variant}, ${clients} clients (client sweep, not measured)`;
      sweep.push({ variant, clients, transactionsPerSecond: await tryPgbench(context, samples, { script, clients, label }, settings.quick ? SWEEP_SECONDS_QUICK : SWEEP_SECONDS) });
    }
  }
  note(`plain authorize_capture: ${sweep.map((s) => `${s.variant} ${s.clients} clients ${s.transactionsPerSecond} pairs/s`).join(', ')}`);
  const { variant, clients } = fastestTry(sweep);
  const figures = await measurePgbench(context, samples, {
    script: authorizeCaptureScriptFile({ accounts: settings.accounts, variant }), clients, schema: 'baseline',
    label: `baseline pgbench authorize_capture, plain tables, ${variant}, ${clients} clients`,
  });
  context.measurements.push(holdBaselineMeasurement(figures, { variant, clients, durationSeconds: settings.durationSeconds, sweep }));
}

/** The measurement row: writes per second (two per pair) as its throughput, comparable with the service's. */
export function holdBaselineMeasurement(
  figures: Awaited<ReturnType<typeof measurePgbench>>,
  run: { variant: PlainVariant; clients: number; durationSeconds: number; sweep: HoldSweepTry[] },
): Measurement {
  const pairsPerSecond = figures.pgbench.transactionsPerSecond;
  return {
    scenario: 6, name: 'authorize_capture', system: 'pgbench', serviceConfiguration: '', baselineTables: 'plain', plainVariant: run.variant,
    connections: run.clients, durationSeconds: run.durationSeconds, throughput: WRITES_PER_PAIR * pairsPerSecond, pairsPerSecond,
    clientSweep: run.sweep.map(({ variant, clients, transactionsPerSecond }) => ({ clients, transactionsPerSecond, variant })),
    ...figures,
    // One ledger transaction per pair: the capture's.
    ledgerTransactionsExpected: figures.pgbench.transactions,
  };
}
