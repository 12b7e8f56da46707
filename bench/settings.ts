// The benchmark's settings, read from the environment in this one module and nowhere else.
import { AB_SCENARIOS, type AbScenario } from './abReport.js';

export interface BenchSettings {
  /** Seconds each measured scenario runs (BENCH_DURATION_S, default 10; BENCH_QUICK=1 makes it 2). */
  durationSeconds: number;
  quick: boolean;
  /**
   * Unmeasured uniform transfers sent to a freshly started service, so that V8 has compiled the hot
   * path and the service's account cache knows the seeded accounts, as a long-running one would.
   */
  warmupSeconds: number;
  /** Concurrent HTTP connections (and pgbench clients) of the throughput scenarios. */
  connections: number;
  accounts: number;
  /** A database server to use instead of starting an embedded one; a fresh database is created on it. */
  databaseUrl: string | undefined;
  /** Extra `-c name=value` settings for the embedded PostgreSQL. */
  postgresFlags: string[];
  /** LOG_LEVEL of the service under test. */
  serviceLogLevel: string;
  /** Extra environment for the service under test, e.g. PARTITIONS=4 (space-separated NAME=value). */
  serviceEnvironment: Record<string, string>;
  /** Whether the outbox relay is measured (BENCH_RELAY=0 skips it). */
  relay: boolean;
  /** A RabbitMQ to use instead of starting rabbitmq-server (BENCH_BROKER_URL). */
  brokerUrl: string | undefined;
  /** Outbox rows the relays drain (BENCH_RELAY_BACKLOG, default 100,000; 20,000 with BENCH_QUICK=1). */
  relayBacklog: number;
  /** HTTP transfers per second while commit-to-delivery is measured (BENCH_RELAY_RATE, default 300). */
  relayLatencyRate: number;
  /** The same-run A/B (`--ab`, ab.ts): the git ref run as A beside this working tree (B). */
  ab: AbSettings;
}

export interface AbSettings {
  /** BENCH_AB_REF: a commit, branch or tag; required by `--ab`. */
  ref: string | undefined;
  /** BENCH_AB_ROUNDS: rounds, each one turn of A and one of B per partition mode (default 4). */
  rounds: number;
  /** BENCH_AB_MODES: the PARTITION_MODEs measured (default "inline worker"). */
  partitionModes: string[];
  /** BENCH_AB_B_ENV: extra environment for side B alone, e.g. METRICS_PORT=off to measure what the metrics cost. */
  sideBEnvironment: Record<string, string>;
  /** BENCH_AB_SCENARIOS: the scenarios each turn measures (default "uniform hot"). */
  scenarios: AbScenario[];
  /** BENCH_AB_A_SCHEMA=previous: side A runs without this tree's newest migration (schemaSides.ts). */
  aSchemaPrevious: boolean;
}

const DURATION_SECONDS_DEFAULT = 10;
const DURATION_SECONDS_QUICK = 2;
const CONNECTIONS_DEFAULT = 64;
const ACCOUNTS_DEFAULT = 10_000;
const RELAY_BACKLOG_DEFAULT = 100_000;
const RELAY_BACKLOG_QUICK = 20_000;
const RELAY_LATENCY_RATE_DEFAULT = 300;
const AB_ROUNDS_DEFAULT = 4;
const AB_PARTITION_MODES_DEFAULT = 'inline worker';
const AB_SCENARIOS_DEFAULT = 'uniform hot';
/**
 * A partition plans in one round trip only when it remembers every account of a batch: 5 s of
 * uniform transfers (each account touched ~5 times) left a third of the first scenario's batches of
 * 64 accounts on the two-round-trip path; 15 s leaves almost none.
 */
const WARMUP_SECONDS_DEFAULT = 15;
const WARMUP_SECONDS_QUICK = 1;

export function loadBenchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  return {
    durationSeconds: positiveNumber(env, 'BENCH_DURATION_S', quick ? DURATION_SECONDS_QUICK : DURATION_SECONDS_DEFAULT),
    quick,
    warmupSeconds: quick ? WARMUP_SECONDS_QUICK : WARMUP_SECONDS_DEFAULT,
    connections: positiveNumber(env, 'BENCH_CONNECTIONS', CONNECTIONS_DEFAULT),
    accounts: positiveNumber(env, 'BENCH_ACCOUNTS', ACCOUNTS_DEFAULT),
    databaseUrl: env.BENCH_DATABASE_URL || undefined,
    postgresFlags: (env.BENCH_POSTGRES_FLAGS ?? '').split(/\s+/).filter(Boolean).flatMap((flag) => ['-c', flag]),
    serviceLogLevel: env.BENCH_LOG_LEVEL || 'warn',
    serviceEnvironment: environmentPairs(env, 'BENCH_SERVICE_ENV'),
    relay: env.BENCH_RELAY !== '0' && env.BENCH_RELAY !== 'false',
    brokerUrl: env.BENCH_BROKER_URL || undefined,
    relayBacklog: Math.round(positiveNumber(env, 'BENCH_RELAY_BACKLOG', quick ? RELAY_BACKLOG_QUICK : RELAY_BACKLOG_DEFAULT)),
    relayLatencyRate: positiveNumber(env, 'BENCH_RELAY_RATE', RELAY_LATENCY_RATE_DEFAULT),
    ab: {
      ref: env.BENCH_AB_REF || undefined,
      rounds: Math.round(positiveNumber(env, 'BENCH_AB_ROUNDS', AB_ROUNDS_DEFAULT)),
      partitionModes: listOf(env.BENCH_AB_MODES || AB_PARTITION_MODES_DEFAULT),
      sideBEnvironment: environmentPairs(env, 'BENCH_AB_B_ENV'),
      scenarios: abScenarios(env.BENCH_AB_SCENARIOS || AB_SCENARIOS_DEFAULT),
      aSchemaPrevious: abSchema(env.BENCH_AB_A_SCHEMA),
    },
  };
}

/** A list in one variable, separated by spaces or commas. */
function listOf(raw: string): string[] {
  return raw.split(/[\s,]+/).filter(Boolean);
}

function abSchema(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'latest') return false;
  if (raw === 'previous') return true;
  throw new Error(`BENCH_AB_A_SCHEMA must be latest or previous, not ${raw}`);
}

function abScenarios(raw: string): AbScenario[] {
  const names = listOf(raw);
  const unknown = names.filter((name) => !(AB_SCENARIOS as readonly string[]).includes(name));
  if (unknown.length || names.length === 0) throw new Error(`BENCH_AB_SCENARIOS: ${unknown.join(', ') || 'none named'}; known are ${AB_SCENARIOS.join(', ')}`);
  return names as AbScenario[];
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** Space-separated NAME=value pairs of one variable. */
function environmentPairs(env: NodeJS.ProcessEnv, variable: string): Record<string, string> {
  return Object.fromEntries(
    (env[variable] ?? '').split(/\s+/).filter(Boolean).map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`${variable}: "${pair}" is not NAME=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}
