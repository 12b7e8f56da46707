// Proves the same-run A/B's summary pairs each round's A and B turns per partition mode and
// scenario, whatever order the round ran them in, averages the rounds' B/A ratios, and covers
// the scenarios the run measured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAbTable, summarizeAb, type AbTurn } from '../../bench/abReport.js';

function turn(round: number, partitionMode: string, side: 'A' | 'B', uniform: number, hot: number): AbTurn {
  const figures = (requestsPerSecond: number) => ({ requestsPerSecond, p99Ms: 10, failures: 0, mainThreadMicrosecondsPerWrite: requestsPerSecond / 10 });
  return { round, partitionMode, side, scenarios: { uniform: figures(uniform), hot: figures(hot) } };
}

test('each round compares its own two turns, and the mean is over the rounds', () => {
  const turns = [
    turn(1, 'inline', 'A', 1000, 400), turn(1, 'inline', 'B', 900, 400),
    turn(1, 'worker', 'A', 2000, 500), turn(1, 'worker', 'B', 2200, 600),
    // Round 2 runs B first: the pairing must not depend on the order.
    turn(2, 'inline', 'B', 1100, 300), turn(2, 'inline', 'A', 1000, 400),
    turn(2, 'worker', 'B', 1800, 500), turn(2, 'worker', 'A', 2000, 500),
  ];
  const summary = summarizeAb(turns);
  const inlineUniform = summary.find((c) => c.partitionMode === 'inline' && c.scenario === 'uniform')!;
  assert.deepEqual(inlineUniform.roundRatios, [0.9, 1.1]);
  assert.equal(inlineUniform.meanRatio, 1);
  assert.equal(inlineUniform.aRequestsPerSecond, 1000);
  assert.equal(inlineUniform.bRequestsPerSecond, 1000);
  assert.equal(inlineUniform.minRatio, 0.9);
  assert.equal(inlineUniform.maxRatio, 1.1);
  const inlineHot = summary.find((c) => c.partitionMode === 'inline' && c.scenario === 'hot')!;
  assert.deepEqual(inlineHot.roundRatios, [1, 0.75]);
  assert.equal(inlineHot.meanRatio, 0.875);
  const workerHot = summary.find((c) => c.partitionMode === 'worker' && c.scenario === 'hot')!;
  assert.deepEqual(workerHot.roundRatios, [1.2, 1]);
  assert.equal(workerHot.bMainThreadMicrosecondsPerWrite, 55);
  assert.equal(summary.length, 4);
});

test('a round missing one side is left out of the ratios instead of pairing across rounds', () => {
  const summary = summarizeAb([turn(1, 'inline', 'A', 1000, 400), turn(1, 'inline', 'B', 500, 400), turn(2, 'inline', 'A', 1000, 400)]);
  assert.deepEqual(summary.find((c) => c.scenario === 'uniform')!.roundRatios, [0.5]);
});

test('the summary and the table cover the scenarios the turns measured, and only those', () => {
  const figures = (requestsPerSecond: number) => ({ requestsPerSecond, p99Ms: 10, failures: 0, mainThreadMicrosecondsPerWrite: 50 });
  const turns: AbTurn[] = [
    { round: 1, partitionMode: 'worker', side: 'A', scenarios: { uniform: figures(1000), authorize_capture: figures(800) } },
    { round: 1, partitionMode: 'worker', side: 'B', scenarios: { uniform: figures(1000), authorize_capture: figures(880) } },
  ];
  const summary = summarizeAb(turns);
  assert.deepEqual(summary.map((c) => [c.scenario, c.meanRatio]), [['uniform', 1], ['authorize_capture', 1.1]]);
  const table = formatAbTable({
    startedAt: '', finishedAt: '', a: { ref: 'HEAD', commit: '0123456789ab' }, b: { ref: 'working tree', commit: '0123456789ab', uncommittedChanges: true },
    machine: { cpus: 2, cpuModel: 'test', node: 'v20', loadAverageAtStart: [] },
    settings: { durationSeconds: 1, warmupSeconds: 1, connections: 1, accounts: 1, rounds: 1, serviceEnvironment: {} },
    database: { description: '', serverVersion: '', settings: {} },
    turns, summary, ledgerCheck: { passed: true, problems: [], transactions: 0 },
  });
  assert.match(table, /uniform req\/s .* authorize_capture req\/s/);
  assert.doesNotMatch(table, /hot req\/s/);
  assert.match(table, /worker\s+authorize_capture\s+mean 1\.100/);
});
