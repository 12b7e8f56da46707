import { plainClientCounts } from './baselineRuns.js';
import { fastestTry, type HoldSweepTry } from './holdBaselineRuns.js';
import { multiLegPaymentScriptFile } from './multiLegScripts.js';
import type { BaselineSamples } from './pgbench.js';
import { measurePgbench, tryPgbench } from './pgbenchMeasurement.js';
import { note } from './progress.js';
import type { Measurement } from './results.js';
import type { RunContext } from './runContext.js';
import { PLAIN_VARIANTS } from './transferScripts.js';

// The three-leg payment baseline of a run (multiLegScripts.ts, on the plain tables), as the
// authorize-then-capture one is run (holdBaselineRuns.ts): both lock variants tried at each client
// count, short and unmeasured, then the fastest measured once. One payment per pgbench transaction,
// as one POST /v1/transactions per payment on the service's side.

const SWEEP_SECONDS = 4;
const SWEEP_SECONDS_QUICK = 2;

export async function runMultiLegBaseline(context: RunContext, samples: BaselineSamples): Promise<void> {
  const { settings } = context;
  const sweep: HoldSweepTry[] = [];
  for (const variant of PLAIN_VARIANTS) {
    const script = multiLegPaymentScriptFile({ accounts: settings.accounts, variant });
    for (const clients of plainClientCounts(settings.connections)) {
      const label = `plain tables multi_leg_payment, ${variant}, ${clients} clients (client sweep, not measured)`;
      sweep.push({ variant, clients, transactionsPerSecond: await tryPgbench(context, samples, { script, clients, label }, settings.quick ? SWEEP_SECONDS_QUICK : SWEEP_SECONDS) });
    }
  }
  note(`plain multi_leg_payment: ${sweep.map((s) => `${s.variant} ${s.clients} clients ${s.transactionsPerSecond} payments/s`).join(', ')}`);
  const { variant, clients } = fastestTry(sweep);
  const figures = await measurePgbench(context, samples, {
    script: multiLegPaymentScriptFile({ accounts: settings.accounts, variant }), clients, schema: 'baseline',
    label: `baseline pgbench multi_leg_payment, plain tables, ${variant}, ${clients} clients`,
  });
  context.measurements.push({
    scenario: 7, name: 'multi_leg_payment', system: 'pgbench', serviceConfiguration: '', baselineTables: 'plain', plainVariant: variant,
    connections: clients, durationSeconds: settings.durationSeconds, throughput: figures.pgbench.transactionsPerSecond,
    clientSweep: sweep.map((tried) => ({ clients: tried.clients, transactionsPerSecond: tried.transactionsPerSecond, variant: tried.variant })),
    ...figures,
    ledgerTransactionsExpected: figures.pgbench.transactions,
  } satisfies Measurement);
}
