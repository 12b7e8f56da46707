// Proves the scaling run's arithmetic: per-write costs from CPU percentages, main-thread seconds and
// WAL counters, the two-process over one-process ratios, the projection onto larger write rates,
// WAL positions read as byte counts, and pg_test_fsync's report read per section.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePgTestFsync } from '../../bench/fsyncCeiling.js';
import { meanFigures, phaseFigures, projectCapacity, replicaRatios, writeCeilings, type PhaseSample, type WriteCosts } from '../../bench/scalingFigures.js';
import { lsnToBytes, walDelta } from '../../bench/walStats.js';

function sample(overrides: Partial<PhaseSample> = {}): PhaseSample {
  return {
    processes: 1,
    durationSeconds: 10,
    writes: 30_000,
    cpuPercent: { service1: 60, postgres: 57, load: 24, machine: 150 },
    mainThreadSeconds: [3.6],
    wal: { lsnBytes: 105_000_000, statsBytes: 104_000_000, records: 300_000, fullPageImages: 15_000, writes: 1_200, syncs: 1_000 },
    ledgerTransactions: 30_010,
    batches: 970,
    ...overrides,
  };
}

test('phaseFigures turns percent of a core over the run into microseconds per write', () => {
  const figures = phaseFigures(sample());
  assert.equal(figures.writesPerSecond, 3_000);
  // 60% of a core for 10 s is 6 s of CPU over 30,000 writes: 200 µs each.
  assert.equal(figures.serviceMicrosecondsPerWrite, 200);
  assert.equal(figures.postgresMicrosecondsPerWrite, 190);
  assert.equal(figures.loadMicrosecondsPerWrite, 80);
  assert.equal(figures.mainThreadMicrosecondsPerWrite, 120);
  assert.deepEqual(figures.mainThreadPercentPerProcess, [36]);
  assert.equal(figures.walBytesPerWrite, 3_500);
  assert.equal(figures.walFullPageImagesPerWrite, 0.5);
  assert.equal(figures.walSyncsPerWrite, 0.033);
  assert.equal(figures.writesPerWalSync, 30);
  assert.equal(figures.operationsPerBatch, 30.9);
});

test('two processes: their service CPU and main threads are added, per write of both', () => {
  const figures = phaseFigures(sample({
    processes: 2,
    cpuPercent: { service1: 40, service2: 50, postgres: 80, load: 24, machine: 195 },
    mainThreadSeconds: [2, 2.5],
  }));
  assert.equal(figures.serviceMicrosecondsPerWrite, 300);
  assert.equal(figures.mainThreadMicrosecondsPerWrite, 150);
  assert.deepEqual(figures.mainThreadPercentPerProcess, [20, 25]);
});

test('meanFigures averages the rounds and replicaRatios divides two processes by one', () => {
  const one = meanFigures([phaseFigures(sample()), phaseFigures(sample({ writes: 20_000 }))]);
  assert.equal(one.writesPerSecond, 2_500);
  const two = phaseFigures(sample({ processes: 2, writes: 25_000, cpuPercent: { service1: 45, service2: 45, postgres: 76, load: 24, machine: 195 }, mainThreadSeconds: [2, 2] }));
  const ratios = replicaRatios(one, two);
  assert.equal(ratios.writesPerSecond, 1);
  assert.equal(ratios.serviceMicrosecondsPerWrite, Math.round((100 * two.serviceMicrosecondsPerWrite) / one.serviceMicrosecondsPerWrite) / 100);
  assert.ok(ratios.serviceMicrosecondsPerWrite! > 1);
  assert.throws(() => meanFigures([]), /no rounds/);
});

const costs: WriteCosts = {
  mainThreadMicrosecondsPerWrite: 125,
  serviceMicrosecondsPerWrite: 200,
  postgresMicrosecondsPerWrite: 190,
  walBytesPerWrite: 3_500,
  writesPerWalSync: 30,
  relayEventsPerSecond: 6_000,
  relayMicrosecondsPerEvent: 80,
};

test('projectCapacity scales the per-write costs to a write rate, rounding processes up', () => {
  const projected = projectCapacity(costs, 10_000);
  assert.equal(projected.serviceProcessesAtCeiling, 2); // 1.25 main threads' worth
  assert.equal(projected.serviceCores, 2);
  assert.equal(projected.postgresCores, 1.9);
  assert.equal(projected.walMegabytesPerSecond, 35);
  assert.equal(projected.walSyncsPerSecond, 333);
  assert.equal(projected.relaysAtCeiling, 2);
  assert.equal(projected.relayCores, 0.8);
});

test('writeCeilings names the rate at which each resource is full; the flush ceiling only with a disk figure', () => {
  assert.deepEqual(writeCeilings(costs, 500), { oneMainThread: 8_000, onePostgresCore: 5_263, oneRelay: 6_000, walFlushes: 15_000 });
  assert.equal(writeCeilings(costs, undefined).walFlushes, undefined);
});

test('lsnToBytes reads both halves of a WAL position, and walDelta subtracts readings', () => {
  assert.equal(lsnToBytes('0/0'), 0n);
  assert.equal(lsnToBytes('1/0'), 4_294_967_296n);
  assert.equal(lsnToBytes('0/3A2B1C8'), 0x3a2b1c8n);
  assert.throws(() => lsnToBytes('3A2B1C8'), /not a WAL position/);
  const before = { lsn: '0/FFFFFF00', records: 10, fullPageImages: 1, bytes: 100, writes: 2, syncs: 1 };
  const after = { lsn: '1/00000100', records: 15, fullPageImages: 3, bytes: 600, writes: 5, syncs: 4 };
  assert.deepEqual(walDelta(before, after), { lsnBytes: 512, statsBytes: 500, records: 5, fullPageImages: 2, writes: 3, syncs: 3 });
});

const PG_TEST_FSYNC_OUTPUT = `2 seconds per test
O_DIRECT supported on this platform for open_datasync and open_sync.

Compare file sync methods using one 8kB write:
(in wal_sync_method preference order, except fdatasync is Linux's default)
        open_datasync                       337.369 ops/sec    2964 usecs/op
        fdatasync                           311.906 ops/sec    3206 usecs/op
        fsync_writethrough                              n/a

Compare file sync methods using two 8kB writes:
(in wal_sync_method preference order, except fdatasync is Linux's default)
        fdatasync                           323.471 ops/sec    3091 usecs/op

Compare open_sync with different write sizes:
(This is designed to compare the cost of writing 16kB in different write
open_sync sizes.)
         1 * 16kB open_sync write           296.717 ops/sec    3370 usecs/op

Non-sync'ed 8kB writes:
        write                            249135.199 ops/sec       4 usecs/op
`;

test('parsePgTestFsync keeps each section apart and skips methods marked n/a', () => {
  assert.deepEqual(parsePgTestFsync(PG_TEST_FSYNC_OUTPUT), {
    oneWrite: { open_datasync: 337.369, fdatasync: 311.906 },
    twoWrites: { fdatasync: 323.471 },
    unsyncedWritesPerSecond: 249135.199,
  });
  assert.throws(() => parsePgTestFsync('2 seconds per test\n'), /no sync method figures/);
});
