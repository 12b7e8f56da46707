import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchDatabase } from './database.js';
import type { FsyncCeiling } from './fsyncCeiling.js';
import { SERVICE_CONFIGURATIONS } from './plan.js';
import {
  meanFigures, projectCapacity, replicaRatios, writeCeilings,
  type CapacityProjection, type PhaseFigures, type PhaseSample, type WriteCosts,
} from './scalingFigures.js';
import type { RelayBesideWritesFigures, RelayDrainFigures } from './scalingRelay.js';
import type { LedgerCheck } from './seed.js';
import type { BenchSettings } from './settings.js';

// The scaling run's report: bench/results/scaling-<ISO time>.json and the table on stdout.

/** Write rates the projection is drawn for. */
const PROJECTED_WRITE_RATES = [5_000, 10_000, 20_000];
/** Average CPU of processes outside the run above which its figures are flagged as noisy, in percent of one core. */
const NOISY_OTHER_CPU_PERCENT = 20;

export interface ScalingPhase {
  round: number;
  sample: PhaseSample;
  figures: PhaseFigures;
  latencyMs: { p50: number; p99: number };
  failedWrites: number;
}

export interface ScalingRelay {
  broker: string;
  drain: RelayDrainFigures;
  besideWrites: RelayBesideWritesFigures;
}

export interface ScalingReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; os: string; node: string; loadAverageAtStart: number[] };
  settings: { durationSeconds: number; quick: boolean; connections: number; accounts: number; serviceConfiguration: string; processesPerPhase: number[] };
  database: { description: string; serverVersion: string; settings: Record<string, string>; walSyncMethod: string };
  fsync?: FsyncCeiling;
  phases: ScalingPhase[];
  /** Means over the rounds. */
  oneProcess: PhaseFigures;
  twoProcesses: PhaseFigures;
  /** Two processes divided by one. */
  twoOverOne: Record<string, number>;
  relay?: ScalingRelay & {
    /** One relay's drain rate over the one-process write rate of this run. */
    drainOverOneProcessWrites: number;
    /** Beside the writes: events published per write committed (1 when the relay kept up). */
    eventsOverWritesBeside: number;
  };
  /** The write rate at which each resource would be fully used, from this run's per-write costs (two processes). */
  ceilings?: Record<string, number>;
  /** A projection, not a measurement: what larger write rates need at this run's per-write costs (two processes). */
  projection?: CapacityProjection[];
  ledgerCheck: LedgerCheck;
  notes: string[];
}

export function assembleScalingReport(input: {
  startedAt: string; loadAverageAtStart: number[]; settings: BenchSettings; database: BenchDatabase; walSyncMethod: string;
  fsync: FsyncCeiling | undefined; phases: ScalingPhase[]; relay: ScalingRelay | undefined; ledgerCheck: LedgerCheck; notes: string[];
}): ScalingReport {
  const { settings, database, phases, relay, fsync } = input;
  const oneProcess = meanFigures(phases.filter((phase) => phase.figures.processes === 1).map((phase) => phase.figures));
  const twoProcesses = meanFigures(phases.filter((phase) => phase.figures.processes === 2).map((phase) => phase.figures));
  const cpus = os.cpus();
  const costs: WriteCosts | undefined = relay && {
    mainThreadMicrosecondsPerWrite: twoProcesses.mainThreadMicrosecondsPerWrite,
    serviceMicrosecondsPerWrite: twoProcesses.serviceMicrosecondsPerWrite,
    postgresMicrosecondsPerWrite: twoProcesses.postgresMicrosecondsPerWrite,
    walBytesPerWrite: twoProcesses.walBytesPerWrite,
    writesPerWalSync: twoProcesses.writesPerWalSync,
    relayEventsPerSecond: relay.drain.eventsPerSecond,
    relayMicrosecondsPerEvent: relay.drain.relayMicrosecondsPerEvent,
  };
  return {
    startedAt: input.startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown', memoryBytes: os.totalmem(), os: `${os.type()} ${os.release()}`, node: process.version, loadAverageAtStart: input.loadAverageAtStart },
    settings: {
      durationSeconds: settings.durationSeconds, quick: settings.quick, connections: settings.connections, accounts: settings.accounts,
      serviceConfiguration: SERVICE_CONFIGURATIONS[0]!.name, processesPerPhase: phases.map((phase) => phase.figures.processes),
    },
    database: { description: database.description, serverVersion: database.serverVersion, settings: database.settings, walSyncMethod: input.walSyncMethod },
    ...(fsync ? { fsync } : {}),
    phases,
    oneProcess,
    twoProcesses,
    twoOverOne: replicaRatios(oneProcess, twoProcesses),
    ...(relay ? {
      relay: {
        ...relay,
        drainOverOneProcessWrites: Math.round((100 * relay.drain.eventsPerSecond) / Math.max(1, oneProcess.writesPerSecond)) / 100,
        eventsOverWritesBeside: Math.round((100 * relay.besideWrites.eventsPerSecond) / Math.max(1, relay.besideWrites.writesPerSecond)) / 100,
      },
    } : {}),
    ...(costs ? {
      ceilings: writeCeilings(costs, fsync?.oneWrite[input.walSyncMethod]),
      projection: PROJECTED_WRITE_RATES.map((rate) => projectCapacity(costs, rate)),
    } : {}),
    ledgerCheck: input.ledgerCheck,
    notes: [...input.notes, ...noiseNotes(phases)],
  };
}

/** As the main run does: a machine busy with other work makes every figure of the run noisy. */
function noiseNotes(phases: ScalingPhase[]): string[] {
  const others = phases.map((phase) => phase.sample.cpuPercent.other ?? 0);
  const average = Math.round(others.reduce((sum, value) => sum + value, 0) / Math.max(1, others.length));
  if (average <= NOISY_OTHER_CPU_PERCENT) return [];
  return [`the machine was shared: other processes used ${average}% CPU (of one core) on average during the measurements, up to ${Math.max(...others)}%; treat these figures as noisy`];
}

export async function writeScalingReport(report: ScalingReport, folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, `scaling-${report.startedAt.replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

export function formatScalingTable(report: ScalingReport): string {
  const header = `${'measurement'.padEnd(24)} ${'writes/s'.padStart(9)} ${'p99 ms'.padStart(7)} ${'main µs/w'.padStart(9)} ${'svc µs/w'.padStart(9)} ${'pg µs/w'.padStart(8)} ${'WAL B/w'.padStart(8)} ${'w/flush'.padStart(8)} ${'ops/batch'.padStart(9)} ${'machine%'.padStart(8)}`;
  const row = (label: string, f: PhaseFigures, p99?: number) =>
    `${label.padEnd(24)} ${String(f.writesPerSecond).padStart(9)} ${(p99 === undefined ? '' : String(Math.round(p99))).padStart(7)} ${String(f.mainThreadMicrosecondsPerWrite).padStart(9)} ${String(f.serviceMicrosecondsPerWrite).padStart(9)} ${String(f.postgresMicrosecondsPerWrite).padStart(8)} ${String(f.walBytesPerWrite).padStart(8)} ${String(f.writesPerWalSync).padStart(8)} ${String(f.operationsPerBatch).padStart(9)} ${String(f.machinePercent).padStart(8)}`;
  const lines = [header];
  for (const phase of report.phases) lines.push(row(`${phase.figures.processes} process${phase.figures.processes > 1 ? 'es' : ''}, round ${phase.round}`, phase.figures, phase.latencyMs.p99));
  lines.push(row('1 process (mean)', report.oneProcess), row('2 processes (mean)', report.twoProcesses));
  lines.push('', `two processes / one: ${Object.entries(report.twoOverOne).map(([name, ratio]) => `${name} ${ratio}x`).join(', ')}`);
  if (report.fsync) {
    const method = report.database.walSyncMethod;
    lines.push(`pg_test_fsync (${method}): ${report.fsync.oneWrite[method] ?? '?'} syncs/s of one 8 kB write, ${report.fsync.twoWrites[method] ?? '?'} of two`);
  }
  const relay = report.relay;
  if (relay) {
    lines.push(
      `relay drain: ${relay.drain.eventsPerSecond} events/s (${relay.drainOverOneProcessWrites}x the one-process write rate), ${relay.drain.relayMicrosecondsPerEvent} µs of relay CPU an event`,
      `relay beside one process writing: ${relay.besideWrites.writesPerSecond} writes/s, ${relay.besideWrites.eventsPerSecond} events/s (${relay.eventsOverWritesBeside}x), backlog at the end ${relay.besideWrites.backlogAtEnd}, caught up in ${relay.besideWrites.catchUpSeconds} s`,
    );
  }
  if (report.ceilings) lines.push(`ceilings (writes/s at which one resource is full, two-process costs): ${Object.entries(report.ceilings).map(([name, rate]) => `${name} ${rate}`).join(', ')}`);
  if (!report.ledgerCheck.passed) lines.push(`LEDGER CHECK FAILED: ${report.ledgerCheck.problems.join('; ')}`);
  for (const text of report.notes) lines.push(`note: ${text}`);
  return lines.join('\n');
}
