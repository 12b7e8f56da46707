import type { ComparedBaseline } from './headlineBaseline.js';
import type { LoadResult } from './loadGenerator.js';
import type { BaselineResult } from './pgbench.js';
import type { BaselineTables, PlainVariant } from './transferScripts.js';
import type { RelayReport } from './relayResults.js';
import type { StatementShare } from './statementStats.js';
import type { WaitShare } from './waitEvents.js';

// The shape of one benchmark run, as written to bench/results/<date>.json.

export interface Measurement {
  /** Scenario number: 1 uniform, 2 hot account, 3 deposits/withdrawals, 4 mixed, 5 latency, 6 authorize then capture, 7 multi-leg payment. */
  scenario: number;
  name: string;
  system: 'service' | 'pgbench';
  /** The service's settings for this measurement (PARTITION_MODE, BATCH_MAX, ...); empty for pgbench. */
  serviceConfiguration: string;
  /** HTTP connections, or pgbench clients. */
  connections: number;
  durationSeconds: number;
  /** pgbench only: the plain tables (the headline baseline) or the project's own tables (with its statement triggers). */
  baselineTables?: BaselineTables;
  /** pgbench plain tables only: how the script takes its row locks (both variants run in every run). */
  plainVariant?: PlainVariant;
  /** pgbench plain tables only: true on the faster variant of its kind, the one `ratioToBaseline` divides by. */
  headlineBaseline?: boolean;
  /**
   * Plain baseline only: the short runs that chose its client count (the fastest is measured); for
   * authorize-then-capture also its variant (the fastest pair of variant and client count is measured).
   */
  clientSweep?: Array<{ clients: number; transactionsPerSecond: number; variant?: PlainVariant }>;
  /** Requests per second asked of the load generator (scenario 5); unset means as fast as possible. */
  targetRate?: number;
  /**
   * Successful requests (service) or committed transactions (pgbench) per second; writes per second
   * in authorize_capture (a hold and its capture are two writes, pgbench's script one pair).
   */
  throughput: number;
  /** authorize_capture only: completed pairs (a hold, then its capture) per second. */
  pairsPerSecond?: number;
  /** The baseline this measurement compares with, and the ratio throughput / baseline throughput (plain tables, the faster variant). */
  baseline?: ComparedBaseline;
  ratioToBaseline?: number;
  /** The plain variant `ratioToBaseline` divides by: the faster of the two in this run, for this baseline kind. */
  baselineVariant?: PlainVariant;
  /** The same ratio against the pgbench baseline on the project's own tables (the earlier, weaker baseline). */
  ratioToProjectSchemaBaseline?: number;
  /**
   * Service only: CPU of its main thread alone (the thread whose id is the pid, where the event loop
   * runs), in percent of one core and per 201 answer (in the mixed scenario that includes the reads' share).
   */
  mainThreadCpu?: { percent: number; microsecondsPerWrite: number | null };
  http?: LoadResult;
  pgbench?: BaselineResult;
  /** CPU use during the measurement, in percent of one core: service, postgres, load generator, pgbench, machine. */
  cpuPercent: Record<string, number>;
  /** What PostgreSQL's backends of the system under test were doing, most frequent first. */
  waits: WaitShare[];
  /** pg_stat_statements: the statements with the most execution time, most first (unset when the server lacks the extension). */
  statements?: StatementShare[];
  /** Ledger transactions the database gained during the measurement, and how many the responses promised. */
  ledgerTransactionsWritten: number;
  ledgerTransactionsExpected: number;
  /** Service only: ledger transactions per database transaction (batch), on average. */
  operationsPerBatch?: number;
}

export interface ServiceRun {
  configuration: string;
  environment: Record<string, string>;
  peakRssBytes?: number;
  threads?: number;
  exitCode: number | null;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; os: string; node: string; loadAverageAtStart: number[] };
  settings: { durationSeconds: number; quick: boolean; connections: number; accounts: number; serviceLogLevel: string };
  database: { description: string; serverVersion: string; settings: Record<string, string>; pgbench: string };
  measurements: Measurement[];
  services: ServiceRun[];
  /** The outbox relay: drain rate of a backlog, commit-to-delivery latency (unset with BENCH_RELAY=0). */
  relay?: RelayReport;
  ledgerCheck: { passed: boolean; problems: string[]; transactions: number };
  /** The same invariants over the plain baseline's tables. */
  plainBaselineLedgerCheck?: { passed: boolean; problems: string[]; transactions: number };
  notes: string[];
}
