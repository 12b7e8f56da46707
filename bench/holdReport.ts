import type { Measurement } from './results.js';

// The authorize-then-capture lines under the table: pairs per second beside writes per second, and
// the main thread's cost per write beside scenario 1's (uniform transfers) in the same service
// configuration, the two figures the target reads: "≥ 4× the baseline, holds costing no more per
// write than transfers do".

export function pairLines(measurements: Measurement[]): string[] {
  return measurements.flatMap((m) => {
    if (m.pairsPerSecond === undefined) return [];
    const where = m.system === 'service' ? m.serviceConfiguration : `pgbench plain, ${m.plainVariant}, ${m.connections} clients`;
    const rates = `${m.pairsPerSecond.toLocaleString('en-US')} pairs/s (${m.throughput.toLocaleString('en-US')} writes/s)`;
    return [`${m.scenario} ${m.name} [${where}]: ${rates}${m.system === 'service' ? costBesideTransfers(m, measurements) : ''}`];
  });
}

/** The main thread's µs per write of the pairs against uniform transfers' in the same configuration, and their quotient. */
function costBesideTransfers(m: Measurement, measurements: Measurement[]): string {
  const pairs = m.mainThreadCpu?.microsecondsPerWrite;
  const uniform = measurements.find((other) => other.system === 'service' && other.scenario === 1 && other.serviceConfiguration === m.serviceConfiguration);
  const transfers = uniform?.mainThreadCpu?.microsecondsPerWrite;
  if (pairs == null || transfers == null || transfers === 0) return '';
  return `; main thread ${pairs} µs/write against ${transfers} for uniform transfers (${(pairs / transfers).toFixed(2)}x)`;
}
