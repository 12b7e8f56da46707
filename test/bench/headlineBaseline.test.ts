// Proves `vs base` divides by the faster plain-table variant of each baseline kind in the run, never
// by the project-schema row, whichever variant that is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headlineBaselines } from '../../bench/headlineBaseline.js';
import type { Measurement } from '../../bench/results.js';
import type { BaselineTables, PlainVariant } from '../../bench/transferScripts.js';

function pgbench(name: string, tables: BaselineTables, throughput: number, plainVariant?: PlainVariant): Measurement {
  return {
    scenario: name === 'uniform transfer' ? 1 : 2, name, system: 'pgbench', serviceConfiguration: '', baselineTables: tables,
    ...(plainVariant ? { plainVariant } : {}), connections: 16, durationSeconds: 2, throughput, cpuPercent: {}, waits: [],
    ledgerTransactionsWritten: 0, ledgerTransactionsExpected: 0,
  };
}

test('each kind takes its faster plain variant, and the project schema is never the headline', () => {
  const measurements = [
    pgbench('uniform transfer', 'plain', 900, 'select-locks'),
    pgbench('uniform transfer', 'plain', 1100, 'update-locks'),
    pgbench('uniform transfer', 'project', 5000),
    pgbench('hot transfer', 'plain', 700, 'select-locks'),
    pgbench('hot transfer', 'plain', 600, 'update-locks'),
    { ...pgbench('uniform transfer', 'plain', 9999), system: 'service' as const },
  ];
  const headline = headlineBaselines(measurements);
  assert.deepEqual([...headline.keys()].sort(), ['hot transfer', 'uniform transfer']);
  assert.equal(headline.get('uniform transfer')!.plainVariant, 'update-locks');
  assert.equal(headline.get('uniform transfer')!.throughput, 1100);
  assert.equal(headline.get('hot transfer')!.plainVariant, 'select-locks');
  assert.equal(headline.get('hot transfer')!.throughput, 700);
});
