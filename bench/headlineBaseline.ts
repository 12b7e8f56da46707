import type { Measurement } from './results.js';

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
