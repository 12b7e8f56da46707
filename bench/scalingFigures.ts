import type { WalDelta } from './walStats.js';

// The arithmetic of the scaling run (scalingBench.ts), apart from its timings: per-write costs from
// what one measurement saw, the ratios of two service processes to one, and the projection of those
// costs onto a machine with more cores. No I/O here, so test/bench/scalingFigures.test.ts checks it.

const MICROSECONDS_PER_SECOND = 1_000_000;

/** What one measurement of the scaling run saw: raw counts and CPU, before any division. */
export interface PhaseSample {
  /** Service processes the load was spread over (1 or 2), each with its own main thread. */
  processes: number;
  durationSeconds: number;
  /** 201 answers. */
  writes: number;
  /** Average CPU per process group in percent of one core (serviceN, postgres, load, machine, other). */
  cpuPercent: Record<string, number>;
  /** CPU seconds of each service process's main thread over the load. */
  mainThreadSeconds: number[];
  wal: WalDelta;
  /** Ledger transactions written and the batches (database transactions) they came in. */
  ledgerTransactions: number;
  batches: number;
}

export interface PhaseFigures {
  processes: number;
  writesPerSecond: number;
  /** Main-thread CPU per write, all processes' main threads together. */
  mainThreadMicrosecondsPerWrite: number;
  /** Each process's main thread, in percent of one core. */
  mainThreadPercentPerProcess: number[];
  /** Whole service processes (main thread, partition worker threads, pg's and libuv's threads) per write. */
  serviceMicrosecondsPerWrite: number;
  postgresMicrosecondsPerWrite: number;
  loadMicrosecondsPerWrite: number;
  /** The whole machine's busy time, in percent of one core (200 = two cores). */
  machinePercent: number;
  walBytesPerWrite: number;
  walFullPageImagesPerWrite: number;
  walWritesPerWrite: number;
  walSyncsPerWrite: number;
  writesPerWalSync: number;
  operationsPerBatch: number;
}

export function phaseFigures(sample: PhaseSample): PhaseFigures {
  const { writes, durationSeconds, cpuPercent, wal } = sample;
  const perWrite = (count: number) => round(count / Math.max(1, writes), 3);
  const coreMicroseconds = (percent: number) => Math.round((percent / 100) * durationSeconds * MICROSECONDS_PER_SECOND / Math.max(1, writes));
  const servicePercent = Object.entries(cpuPercent).filter(([group]) => group.startsWith('service')).reduce((sum, [, value]) => sum + value, 0);
  const mainThreadSeconds = sample.mainThreadSeconds.reduce((sum, seconds) => sum + seconds, 0);
  return {
    processes: sample.processes,
    writesPerSecond: Math.round(writes / durationSeconds),
    mainThreadMicrosecondsPerWrite: Math.round((mainThreadSeconds * MICROSECONDS_PER_SECOND) / Math.max(1, writes)),
    mainThreadPercentPerProcess: sample.mainThreadSeconds.map((seconds) => round((100 * seconds) / durationSeconds, 1)),
    serviceMicrosecondsPerWrite: coreMicroseconds(servicePercent),
    postgresMicrosecondsPerWrite: coreMicroseconds(cpuPercent.postgres ?? 0),
    loadMicrosecondsPerWrite: coreMicroseconds(cpuPercent.load ?? 0),
    machinePercent: cpuPercent.machine ?? 0,
    walBytesPerWrite: Math.round(wal.lsnBytes / Math.max(1, writes)),
    walFullPageImagesPerWrite: perWrite(wal.fullPageImages),
    walWritesPerWrite: perWrite(wal.writes),
    walSyncsPerWrite: perWrite(wal.syncs),
    writesPerWalSync: round(writes / Math.max(1, wal.syncs), 1),
    operationsPerBatch: round(sample.ledgerTransactions / Math.max(1, sample.batches), 1),
  };
}

/** Per figure, the mean over the rounds (the run alternates one and two processes, ABBA). */
export function meanFigures(rounds: PhaseFigures[]): PhaseFigures {
  if (rounds.length === 0) throw new Error('no rounds to average');
  const mean = (pick: (figures: PhaseFigures) => number, digits = 0) => round(rounds.reduce((sum, figures) => sum + pick(figures), 0) / rounds.length, digits);
  return {
    processes: rounds[0]!.processes,
    writesPerSecond: mean((f) => f.writesPerSecond),
    mainThreadMicrosecondsPerWrite: mean((f) => f.mainThreadMicrosecondsPerWrite),
    mainThreadPercentPerProcess: rounds[0]!.mainThreadPercentPerProcess.map((_, index) => mean((f) => f.mainThreadPercentPerProcess[index] ?? 0, 1)),
    serviceMicrosecondsPerWrite: mean((f) => f.serviceMicrosecondsPerWrite),
    postgresMicrosecondsPerWrite: mean((f) => f.postgresMicrosecondsPerWrite),
    loadMicrosecondsPerWrite: mean((f) => f.loadMicrosecondsPerWrite),
    machinePercent: mean((f) => f.machinePercent, 1),
    walBytesPerWrite: mean((f) => f.walBytesPerWrite),
    walFullPageImagesPerWrite: mean((f) => f.walFullPageImagesPerWrite, 3),
    walWritesPerWrite: mean((f) => f.walWritesPerWrite, 3),
    walSyncsPerWrite: mean((f) => f.walSyncsPerWrite, 3),
    writesPerWalSync: mean((f) => f.writesPerWalSync, 1),
    operationsPerBatch: mean((f) => f.operationsPerBatch, 1),
  };
}

/** Two processes divided by one, figure by figure (same run, same load generator, same connections). */
export function replicaRatios(one: PhaseFigures, two: PhaseFigures): Record<string, number> {
  const ratio = (a: number, b: number) => (a === 0 ? Number.NaN : round(b / a, 2));
  return {
    writesPerSecond: ratio(one.writesPerSecond, two.writesPerSecond),
    mainThreadMicrosecondsPerWrite: ratio(one.mainThreadMicrosecondsPerWrite, two.mainThreadMicrosecondsPerWrite),
    serviceMicrosecondsPerWrite: ratio(one.serviceMicrosecondsPerWrite, two.serviceMicrosecondsPerWrite),
    postgresMicrosecondsPerWrite: ratio(one.postgresMicrosecondsPerWrite, two.postgresMicrosecondsPerWrite),
    walBytesPerWrite: ratio(one.walBytesPerWrite, two.walBytesPerWrite),
    walSyncsPerWrite: ratio(one.walSyncsPerWrite, two.walSyncsPerWrite),
    operationsPerBatch: ratio(one.operationsPerBatch, two.operationsPerBatch),
  };
}

/** The per-write costs a projection starts from. */
export interface WriteCosts {
  mainThreadMicrosecondsPerWrite: number;
  serviceMicrosecondsPerWrite: number;
  postgresMicrosecondsPerWrite: number;
  walBytesPerWrite: number;
  writesPerWalSync: number;
  /** One relay's drain rate and its CPU per event. */
  relayEventsPerSecond: number;
  relayMicrosecondsPerEvent: number;
}

/**
 * A projection, not a measurement: what a write rate needs if every write keeps the cost measured
 * here. Each ceiling is the rate at which one resource is fully used (no headroom); the costs are
 * those of a 2-core machine, where processes wait for a core, so real ones differ.
 */
export interface CapacityProjection {
  writesPerSecond: number;
  /** Service processes whose main threads that rate keeps fully busy (each main thread is one core at most). */
  serviceProcessesAtCeiling: number;
  serviceCores: number;
  postgresCores: number;
  walMegabytesPerSecond: number;
  /** WAL flushes per second if batches stay as large as measured. */
  walSyncsPerSecond: number;
  /** Relay processes at their measured drain rate. */
  relaysAtCeiling: number;
  relayCores: number;
}

export function projectCapacity(costs: WriteCosts, writesPerSecond: number): CapacityProjection {
  const cores = (microsecondsPerUnit: number) => round((writesPerSecond * microsecondsPerUnit) / MICROSECONDS_PER_SECOND, 1);
  return {
    writesPerSecond,
    serviceProcessesAtCeiling: Math.ceil(cores(costs.mainThreadMicrosecondsPerWrite)),
    serviceCores: cores(costs.serviceMicrosecondsPerWrite),
    postgresCores: cores(costs.postgresMicrosecondsPerWrite),
    walMegabytesPerSecond: round((writesPerSecond * costs.walBytesPerWrite) / 1_000_000, 1),
    walSyncsPerSecond: Math.round(writesPerSecond / Math.max(0.001, costs.writesPerWalSync)),
    relaysAtCeiling: Math.ceil(writesPerSecond / Math.max(1, costs.relayEventsPerSecond)),
    relayCores: cores(costs.relayMicrosecondsPerEvent),
  };
}

/** The write rate at which one resource is fully used, per resource. */
export function writeCeilings(costs: WriteCosts, fsyncsPerSecond: number | undefined): Record<string, number> {
  const ceilings: Record<string, number> = {
    oneMainThread: Math.round(MICROSECONDS_PER_SECOND / Math.max(1, costs.mainThreadMicrosecondsPerWrite)),
    onePostgresCore: Math.round(MICROSECONDS_PER_SECOND / Math.max(1, costs.postgresMicrosecondsPerWrite)),
    oneRelay: Math.round(costs.relayEventsPerSecond),
  };
  // Flushes are serial: each waits for the last. With a batch behind each, the disk bounds batches, not writes.
  if (fsyncsPerSecond !== undefined) ceilings.walFlushes = Math.round(fsyncsPerSecond * costs.writesPerWalSync);
  return ceilings;
}

function round(value: number, digits = 0): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
