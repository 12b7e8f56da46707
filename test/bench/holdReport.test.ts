// Proves the authorize-then-capture figures are read as the target needs: the service's writes per
// second divided by the plain pgbench pair's writes per second (two per pair), never by a transfer
// baseline; its main thread's µs per write set beside uniform transfers' of the same
// configuration; the fastest variant and client count of the sweep measured; and both steps
// rendered into one pgbench script of two SQL transactions.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { applyBaselineRatios } from '../../bench/headlineBaseline.js';
import { fastestTry, holdBaselineMeasurement } from '../../bench/holdBaselineRuns.js';
import { pairLines } from '../../bench/holdReport.js';
import { authorizeCaptureScript } from '../../bench/holdScripts.js';
import type { BaselineResult } from '../../bench/pgbench.js';
import { formatTable, writeReport } from '../../bench/report.js';
import type { BenchReport, Measurement } from '../../bench/results.js';

function row(fields: Partial<Measurement> & Pick<Measurement, 'scenario' | 'name' | 'system' | 'throughput'>): Measurement {
  return { serviceConfiguration: '', connections: 64, durationSeconds: 10, cpuPercent: {}, waits: [], ledgerTransactionsWritten: 0, ledgerTransactionsExpected: 0, ...fields };
}

function pgbenchResult(transactions: number, transactionsPerSecond: number): BaselineResult {
  return { transactions, failed: 0, transactionsPerSecond, latencyAverageMs: 1, statementLatencyMs: [] };
}

const holdBaseline = holdBaselineMeasurement(
  { pgbench: pgbenchResult(4000, 400), cpuPercent: {}, waits: [], ledgerTransactionsWritten: 4000 },
  { variant: 'update-locks', clients: 16, durationSeconds: 10, sweep: [{ variant: 'update-locks', clients: 16, transactionsPerSecond: 410 }] },
);

function measurements(): Measurement[] {
  return [
    row({ scenario: 1, name: 'uniform transfer', system: 'pgbench', baselineTables: 'plain', plainVariant: 'select-locks', throughput: 1000 }),
    row({ scenario: 1, name: 'uniform', system: 'service', serviceConfiguration: 'inline', baseline: 'uniform', throughput: 4000, mainThreadCpu: { percent: 80, microsecondsPerWrite: 200 } }),
    structuredClone(holdBaseline),
    row({ scenario: 6, name: 'authorize_capture', system: 'service', serviceConfiguration: 'inline', baseline: 'authorize_capture', throughput: 3600, pairsPerSecond: 1800, mainThreadCpu: { percent: 72, microsecondsPerWrite: 180 } }),
    row({ scenario: 6, name: 'authorize_capture', system: 'service', serviceConfiguration: 'worker', baseline: 'authorize_capture', throughput: 3200, pairsPerSecond: 1600 }),
  ];
}

function reportOf(all: Measurement[]): BenchReport {
  return {
    startedAt: '2026-12-02T00:00:00.000Z', finishedAt: '2026-12-02T00:10:00.000Z',
    machine: { cpus: 2, cpuModel: 'test', memoryBytes: 1, os: 'test', node: 'v22', loadAverageAtStart: [0, 0, 0] },
    settings: { durationSeconds: 10, quick: false, connections: 64, accounts: 10_000, serviceLogLevel: 'warn' },
    database: { description: 'test', serverVersion: '17', settings: {}, pgbench: 'pgbench' },
    measurements: all, services: [], ledgerCheck: { passed: true, problems: [], transactions: 0 }, notes: [],
  };
}

test('the pgbench pair counts two writes per pair, and one ledger transaction', () => {
  assert.equal(holdBaseline.throughput, 800);
  assert.equal(holdBaseline.pairsPerSecond, 400);
  assert.equal(holdBaseline.ledgerTransactionsExpected, 4000);
  assert.deepEqual(holdBaseline.clientSweep, [{ clients: 16, transactionsPerSecond: 410, variant: 'update-locks' }]);
});

test('the sweep measures its fastest variant and client count', () => {
  const sweep = [
    { variant: 'select-locks' as const, clients: 8, transactionsPerSecond: 300 },
    { variant: 'update-locks' as const, clients: 32, transactionsPerSecond: 350 },
    { variant: 'update-locks' as const, clients: 64, transactionsPerSecond: 340 },
  ];
  assert.deepEqual(fastestTry(sweep), sweep[1]);
  assert.throws(() => fastestTry([]), /tried nothing/);
});

test('authorize_capture divides by the pair baseline\'s writes per second, in both modes, and transfers by theirs', () => {
  const all = measurements();
  applyBaselineRatios(all);
  const [, uniform, baseline, inline, worker] = all;
  assert.equal(uniform!.ratioToBaseline, 4);
  assert.equal(inline!.ratioToBaseline, 4.5);
  assert.equal(inline!.baselineVariant, 'update-locks');
  assert.equal(worker!.ratioToBaseline, 4);
  assert.equal(baseline!.headlineBaseline, true);
  assert.equal(baseline!.ratioToBaseline, undefined);
});

test('without a pair baseline in the run, authorize_capture gets no ratio rather than a transfer\'s', () => {
  const all = measurements().filter((m) => !(m.system === 'pgbench' && m.name === 'authorize_capture'));
  applyBaselineRatios(all);
  assert.equal(all.find((m) => m.name === 'authorize_capture')!.ratioToBaseline, undefined);
});

test('the pair lines give pairs and writes per second, and the main thread\'s cost per write beside uniform transfers\'', () => {
  assert.deepEqual(pairLines(measurements()), [
    '6 authorize_capture [pgbench plain, update-locks, 16 clients]: 400 pairs/s (800 writes/s)',
    '6 authorize_capture [inline]: 1,800 pairs/s (3,600 writes/s); main thread 180 µs/write against 200 for uniform transfers (0.90x)',
    '6 authorize_capture [worker]: 1,600 pairs/s (3,200 writes/s)',
  ]);
});

test('the table names the pair baseline as base and the service rows by their ratio to it', () => {
  const all = measurements();
  applyBaselineRatios(all);
  const lines = formatTable(reportOf(all)).split('\n');
  const pairRows = lines.filter((line) => line.startsWith('6 '));
  assert.match(pairRows[0]!, /authorize_capture\s+pgbench plain, update-locks, 16 clients\s+800\s+base/);
  assert.match(pairRows[1]!, /authorize_capture\s+service inline\s+3,600\s+4\.50x authorize_capture, update-locks/);
  assert.match(pairRows[2]!, /authorize_capture\s+service worker\s+3,200\s+4\.00x authorize_capture, update-locks/);
  assert.ok(lines.some((line) => line.startsWith('6 authorize_capture [pgbench plain, update-locks]: measured at 16 clients, the fastest of update-locks 16 (410 tps)')));
});

test('the script runs both steps as two SQL transactions, carrying the hold id, in each lock variant', () => {
  for (const variant of ['select-locks', 'update-locks'] as const) {
    const script = authorizeCaptureScript({ accounts: 10_000, variant });
    assert.equal(script.match(/^BEGIN;$/gm)?.length, 2);
    assert.equal(script.match(/^COMMIT;\nSELECT pg_notify\('outbox', ''\);$/gm)?.length, 2, 'each step notifies after its commit');
    assert.match(script, /RETURNING h\.id AS hold_id \\gset/);
    assert.match(script, /'hold\.created', 'ledger\.hold\.created', :hold_id, now\(\)/, 'the event names its hold, as the service stores it');
    assert.match(script, /WHERE id = :hold_id AND status = 'pending' RETURNING amount AS hold_amount/);
    assert.match(script, /\\set src random\(1, 10000\)/);
    assert.equal(script.match(/FOR UPDATE/g)?.length ?? 0, variant === 'select-locks' ? 3 : 0);
    assert.match(script, /'hold\.created'/);
    assert.match(script, /'transfer\.posted', 'ledger\.transfer\.posted', :transaction_id, NULL, .*'hold\.captured', 'ledger\.hold\.captured', NULL, :hold_id/);
  }
});

test('the chart puts each authorize_capture service bar beside the pair baseline\'s', async () => {
  const all = measurements();
  applyBaselineRatios(all);
  const folder = await mkdtemp(path.join(os.tmpdir(), 'hold-report-'));
  try {
    const { svgPath } = await writeReport(reportOf(all), folder);
    const svg = await readFile(svgPath, 'utf8');
    // The default configuration (worker) goes unnamed, every other one is named.
    assert.match(svg, /6 authorize_capture \(inline\)/);
    assert.match(svg, /pgbench authorize_capture, plain tables, update-locks/);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
