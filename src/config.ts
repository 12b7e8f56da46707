import os from 'node:os';
import envSchema from 'env-schema';
import { Type, type Static } from '@sinclair/typebox';

// The one module that reads process.env. Everything else receives a typed Config.

const HOUR_MS = 60 * 60 * 1000;
const SECRET_LENGTH_MIN = 32;

/** Stands in for SERVICE_API_KEY outside production; printed loudly at start-up. */
export const DEVELOPMENT_API_KEY = 'dev-service-api-key-do-not-use-in-production';

const EnvironmentSchema = Type.Object({
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  ENVIRONMENT: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
  }),
  SERVICE_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  SECRET_KEY: Type.Optional(Type.String({ minLength: 1 })),
  BROKER_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  OUTBOX_EXCHANGE: Type.String({ minLength: 1, default: 'wallet.events' }),
  OUTBOX_EXCHANGE_TYPE: Type.Union(
    [Type.Literal('topic'), Type.Literal('direct'), Type.Literal('fanout'), Type.Literal('headers')],
    { default: 'topic' },
  ),
  OUTBOX_ROUTING_KEY_PREFIX: Type.String({ minLength: 1, default: 'ledger' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  IDEMPOTENCY_TTL_HOURS: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 365, default: 24 }),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  EMBEDDED_POSTGRES_DIR: Type.String({ minLength: 1, default: '.data/postgres' }),
  EMBEDDED_POSTGRES_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 54329 }),
  PARTITIONS: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  PARTITION_MODE: Type.Union([Type.Literal('worker'), Type.Literal('inline')], { default: 'worker' }),
  BATCH_MAX: Type.Integer({ minimum: 1, maximum: 5000, default: 256 }),
  QUEUE_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000 }),
  OUTBOX_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  OUTBOX_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  OUTBOX_BACKOFF_BASE_MS: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 500 }),
  OUTBOX_BACKOFF_MAX_MS: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 5 * 60_000 }),
  OUTBOX_POLL_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 5_000 }),
  OUTBOX_LISTEN: Type.Boolean({ default: true }),
  OUTBOX_PUBLISH_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 600_000, default: 10_000 }),
  OUTBOX_RETENTION_DAYS: Type.Number({ minimum: 0, maximum: 3650, default: 7 }),
});

type Environment = Static<typeof EnvironmentSchema>;

export interface Config {
  environment: Environment['ENVIRONMENT'];
  /** Undefined means: start an embedded PostgreSQL (development only). */
  databaseUrl: string | undefined;
  serviceApiKey: string;
  /** True when serviceApiKey is the fixed development key. */
  serviceApiKeyIsDevelopmentDefault: boolean;
  secretKey: string | undefined;
  brokerUrl: string;
  outboxExchange: string;
  outboxExchangeType: Environment['OUTBOX_EXCHANGE_TYPE'];
  outboxRoutingKeyPrefix: string;
  port: number;
  host: string;
  logLevel: string;
  idempotencyTtlMs: number;
  databasePoolMax: number;
  embeddedPostgresDir: string;
  embeddedPostgresPort: number;
  partitions: number;
  partitionMode: Environment['PARTITION_MODE'];
  batchMax: number;
  queueMax: number;
  shutdownTimeoutMs: number;
  outbox: {
    batchSize: number;
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    pollIntervalMs: number;
    /** Whether the relay LISTENs for commit wake-ups; false leaves it to the poll (benchmarks compare the two). */
    listen: boolean;
    publishTimeoutMs: number;
    retentionMs: number;
  };
}

/**
 * One partition per two cores. A partition keeps one database transaction in flight; where the
 * service shares a small machine with PostgreSQL, a second one competes for the same cores and
 * halves every batch: on 2 cores one partition was as fast on uniform transfers, faster with a hot
 * row, and used a third less database CPU per transfer (the README's benchmark section; the bench
 * measures PARTITIONS=2 beside the default in every run).
 */
export function defaultPartitions(cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2));
}

/** Thrown for a bad environment; its message is one line naming the variable. */
export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = parseEnvironment(env);
  const production = raw.ENVIRONMENT === 'production';
  if (production) requireProductionSettings(raw);
  return {
    environment: raw.ENVIRONMENT,
    databaseUrl: raw.DATABASE_URL,
    serviceApiKey: raw.SERVICE_API_KEY ?? DEVELOPMENT_API_KEY,
    serviceApiKeyIsDevelopmentDefault: raw.SERVICE_API_KEY === undefined,
    secretKey: raw.SECRET_KEY,
    brokerUrl: raw.BROKER_URL,
    outboxExchange: raw.OUTBOX_EXCHANGE,
    outboxExchangeType: raw.OUTBOX_EXCHANGE_TYPE,
    outboxRoutingKeyPrefix: raw.OUTBOX_ROUTING_KEY_PREFIX,
    port: raw.PORT,
    host: raw.HOST,
    logLevel: raw.LOG_LEVEL,
    idempotencyTtlMs: raw.IDEMPOTENCY_TTL_HOURS * HOUR_MS,
    databasePoolMax: raw.DATABASE_POOL_MAX,
    embeddedPostgresDir: raw.EMBEDDED_POSTGRES_DIR,
    embeddedPostgresPort: raw.EMBEDDED_POSTGRES_PORT,
    partitions: raw.PARTITIONS ?? defaultPartitions(),
    partitionMode: raw.PARTITION_MODE,
    batchMax: raw.BATCH_MAX,
    queueMax: raw.QUEUE_MAX,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    outbox: {
      batchSize: raw.OUTBOX_BATCH_SIZE,
      maxAttempts: raw.OUTBOX_MAX_ATTEMPTS,
      backoffBaseMs: raw.OUTBOX_BACKOFF_BASE_MS,
      backoffMaxMs: raw.OUTBOX_BACKOFF_MAX_MS,
      pollIntervalMs: raw.OUTBOX_POLL_INTERVAL_MS,
      listen: raw.OUTBOX_LISTEN,
      publishTimeoutMs: raw.OUTBOX_PUBLISH_TIMEOUT_MS,
      retentionMs: raw.OUTBOX_RETENTION_DAYS * 24 * HOUR_MS,
    },
  };
}

function parseEnvironment(env: NodeJS.ProcessEnv): Environment {
  // Empty strings count as unset, as most deployment tools write them for "no value".
  const data = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  try {
    return envSchema<Environment>({ schema: EnvironmentSchema, data, env: false, dotenv: false });
  } catch (error) {
    throw new ConfigError(describeSchemaError(error));
  }
}

function describeSchemaError(error: unknown): string {
  const errors = (error as { errors?: Array<{ instancePath: string; params: Record<string, unknown>; message?: string }> })
    .errors;
  const first = errors?.[0];
  if (!first) return `invalid configuration: ${(error as Error).message}`;
  const name = first.instancePath.replace(/^\//, '') || String(first.params.missingProperty ?? 'environment');
  return `invalid configuration: ${name} ${first.message ?? 'is invalid'}`;
}

function requireProductionSettings(raw: Environment): void {
  if (!raw.DATABASE_URL) throw new ConfigError('DATABASE_URL is required when ENVIRONMENT=production');
  for (const name of ['SERVICE_API_KEY', 'SECRET_KEY'] as const) {
    const value = raw[name];
    if (!value) throw new ConfigError(`${name} is required when ENVIRONMENT=production`);
    if (value.length < SECRET_LENGTH_MIN) {
      throw new ConfigError(`${name} must be at least ${SECRET_LENGTH_MIN} characters when ENVIRONMENT=production`);
    }
  }
}
