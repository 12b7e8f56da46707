import type { Measurement } from './results.js';
import type { BaselineKind } from './transferScripts.js';

// The headline baseline (`vs base`) of each baseline kind: of the plain tables' script variants
// measured in the run, the faster. The service is compared with the best plain SQL that run found.

/** The fastest plain-table pgbench measurement per measurement name ("uniform transfer", "hot transfer"). */
export function headlineBaselines(measurements: Measurement[]): Map<string, Measurement> {
  const fastest = new Map<string, Measurement>();
  for (const m of measurements) {
    if (m.system !== 'pgbench' || m.baselineTables !== 'plain') continue;
    const best = fastest.get(m.name);
    if (!best || m.throughput > best.throughput) fastest.set(m.name, m);
  }
  return fastest;
}

/**
 * What a service scenario is compared with: a transfer kind, the authorize-then-capture pair
 * (holdBaselineRuns.ts) or the three-leg payment (multiLegBaselineRuns.ts).
 */
export type ComparedBaseline = BaselineKind | 'authorize_capture' | 'multi_leg_payment';

/** The name of the pgbench measurements a service scenario's `baseline` points at. */
export function baselineMeasurementName(baseline: ComparedBaseline): string {
  return baseline === 'authorize_capture' || baseline === 'multi_leg_payment' ? baseline : `${baseline} transfer`;
}

/**
 * Each service measurement's ratios: `ratioToBaseline` to the headline plain baseline its scenario
 * names (the fastest plain variant in the run), `ratioToProjectSchemaBaseline` to the project-schema
 * row where there is one. Runs at a fixed rate compare with nothing: their throughput was chosen.
 */
export function applyBaselineRatios(measurements: Measurement[]): void {
  const plain = headlineBaselines(measurements);
  for (const headline of plain.values()) headline.headlineBaseline = true;
  const project = new Map(measurements.filter((m) => m.system === 'pgbench' && m.baselineTables === 'project').map((m) => [m.name, m.throughput]));
  for (const m of measurements) {
    if (m.system !== 'service' || !m.baseline || m.targetRate !== undefined) continue;
    const name = baselineMeasurementName(m.baseline);
    const plainBase = plain.get(name);
    const projectBase = project.get(name);
    if (plainBase?.throughput) {
      m.ratioToBaseline = ratio(m.throughput, plainBase.throughput);
      m.baselineVariant = plainBase.plainVariant;
    }
    if (projectBase) m.ratioToProjectSchemaBaseline = ratio(m.throughput, projectBase);
  }
}

function ratio(throughput: number, baseline: number): number {
  return Math.round((throughput / baseline) * 100) / 100;
}
