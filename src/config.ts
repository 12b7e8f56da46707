import os from 'node:os';
import envSchema from 'env-schema';
import { Type, type Static } from 'typebox';

// The one module that reads process.env. Everything else receives a typed Config.

const HOUR_MS = 60 * 60 * 1000;
/** Production secrets: at least this long once surrounding spaces are trimmed... */
const SECRET_LENGTH_MIN = 32;
/** ...and made of at least this many different characters (refuses 'aaaa…' and '1212…'). */
const SECRET_DISTINCT_CHARACTERS_MIN = 16;
/** SERVICE_API_KEY may hold the current key and the next, comma-separated, to rotate without downtime. */
const SERVICE_API_KEYS_MAX = 2;

/** Stands in for SERVICE_API_KEY in development only; published in the README and printed at start-up. */
export const DEVELOPMENT_API_KEY = 'dev-service-api-key-do-not-use-in-production';

/**
 * development: defaults for a laptop (published API key, embedded PostgreSQL, listens on 127.0.0.1).
 * test: automated tests: no defaults that stand in for a secret or a database; fixed keys allowed.
 * production: every secret required and strong; listens on 0.0.0.0.
 */
const ENVIRONMENTS = ['development', 'test', 'production'] as const;
type EnvironmentName = (typeof ENVIRONMENTS)[number];

/** The port Prometheus's exporter registry gives Node exporters; the relay takes the next one. */
const METRICS_PORT_DEFAULT = 9464;
const RELAY_METRICS_PORT_DEFAULT = 9465;
const METRICS_PORT_PATTERN = '^(off|[0-9]{1,5})$';

/**
 * A read without X-Ledger-Position may be this stale on the replica: a second covers a healthy
 * replica's usual lag (milliseconds) with room for a checkpoint's burst, and is the staleness a
 * caller that did not ask to read its own writes already accepts from any cache in front of us.
 */
const READ_MAX_LAG_MS_DEFAULT = 1_000;
/** A read with X-Ledger-Position waits this long for the replica, then reads from the primary: a few replication round trips. */
const READ_POSITION_WAIT_MS_DEFAULT = 200;

const EnvironmentSchema = Type.Object({
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  // Required with DATABASE_URL (see resolveEnvironmentName); alone, a laptop's development.
  ENVIRONMENT: Type.Optional(Type.Union(ENVIRONMENTS.map((name) => Type.Literal(name)))),
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
  // Default: 127.0.0.1 outside production (development publishes its key), 0.0.0.0 in production.
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  HOLD_TTL_MAX_HOURS: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 365, default: 720 }),
  HOLD_TTL_DEFAULT_HOURS: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 365, default: 168 }),
  HOLD_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 1_000, default: 1_000 }),
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
  HTTP_HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 72_000 }),
  HTTP_CONNECTIONS_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1_000 }),
  // A port number, or `off`. Unset: the default port, except in test (many services per machine).
  METRICS_PORT: Type.Optional(Type.String({ pattern: METRICS_PORT_PATTERN })),
  RELAY_METRICS_PORT: Type.Optional(Type.String({ pattern: METRICS_PORT_PATTERN })),
  CONSOLE_ENABLED: Type.Optional(Type.Boolean()),
  // Reads from a streaming replica (docs/configuration.md, "Reads from a replica").
  DATABASE_READ_URL: Type.Optional(Type.String({ minLength: 1 })),
  READ_MAX_LAG_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: READ_MAX_LAG_MS_DEFAULT }),
  READ_POSITION_WAIT_MS: Type.Integer({ minimum: 0, maximum: 10_000, default: READ_POSITION_WAIT_MS_DEFAULT }),
});

type Environment = Static<typeof EnvironmentSchema>;

export interface Config {
  environment: EnvironmentName;
  /** Undefined means: start an embedded PostgreSQL (development only). */
  databaseUrl: string | undefined;
  /** Every key the API accepts (the current and, while rotating, the next); none in test without SERVICE_API_KEY. */
  serviceApiKeys: string[];
  /** True when serviceApiKeys is the published development key. */
  serviceApiKeyIsDevelopmentDefault: boolean;
  secretKey: string | undefined;
  /** The broker URLs in order of preference (BROKER_URL, comma-separated): one node, or a cluster's nodes. */
  brokerUrls: string[];
  outboxExchange: string;
  outboxExchangeType: Environment['OUTBOX_EXCHANGE_TYPE'];
  outboxRoutingKeyPrefix: string;
  port: number;
  host: string;
  logLevel: string;
  idempotencyTtlMs: number;
  holds: HoldSettings;
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
  http: HttpLimits;
  /** Where Prometheus scrapes the service (on `host`); undefined: no metrics are kept. */
  metricsPort: number | undefined;
  /** The same for the outbox relay process. */
  relayMetricsPort: number | undefined;
  /** /console serves the operator console; default: outside production only. /v1/admin answers either way, behind the key. */
  consoleEnabled: boolean;
  reads: ReadSettings;
}

/** Reads from a streaming replica: DATABASE_READ_URL and its bounds. */
export interface ReadSettings {
  /** The hot standby the GET endpoints read from; undefined: every read goes to the primary. */
  replicaUrl: string | undefined;
  /** A read without a position goes to the primary when the replica may be staler than this. */
  maxLagMs: number;
  /** How long a read with a position waits for the replica to replay it before reading from the primary. */
  positionWaitMs: number;
}

export interface HoldSettings {
  /** How far ahead a hold's expires_at may be. */
  ttlMaxMs: number;
  /** A hold's lifetime when the request names no expires_at. */
  ttlDefaultMs: number;
  /** How often the sweep expires due holds: at most a second, so that they expire within 5 s. */
  sweepIntervalMs: number;
}

/** How long the HTTP server waits for a client, and how many clients it holds at once. */
export interface HttpLimits {
  /** From a connection's first byte (or its opening) to the end of a request's headers. */
  headersTimeoutMs: number;
  /** From a request's first byte to the end of its body. */
  requestTimeoutMs: number;
  /** How long a connection may sit idle between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; past it, the oldest connection with no request in progress is closed. */
  connectionsMax: number;
}

/**
 * One partition per two cores. A partition keeps one database transaction in flight; where the
 * service shares a small machine with PostgreSQL, a second one competes for the same cores and
 * halves every batch (docs/performance.md, Analysis).
 */
export function defaultPartitions(cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2));
}

/** Thrown for a bad environment; its message is one line naming the variable. */
export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = parseEnvironment(env);
  const environment = resolveEnvironmentName(raw);
  const givenApiKeys = raw.SERVICE_API_KEY === undefined ? undefined : parseServiceApiKeys(raw.SERVICE_API_KEY);
  if (environment === 'production') requireProductionSettings(raw, givenApiKeys);
  if (environment === 'test' && !raw.DATABASE_URL) throw new ConfigError('DATABASE_URL is required when ENVIRONMENT=test');
  const developmentDefault = environment === 'development' && givenApiKeys === undefined;
  return {
    environment,
    databaseUrl: raw.DATABASE_URL,
    serviceApiKeys: givenApiKeys ?? (developmentDefault ? [DEVELOPMENT_API_KEY] : []),
    serviceApiKeyIsDevelopmentDefault: developmentDefault,
    secretKey: raw.SECRET_KEY,
    brokerUrls: parseBrokerUrls(raw.BROKER_URL),
    outboxExchange: raw.OUTBOX_EXCHANGE,
    outboxExchangeType: raw.OUTBOX_EXCHANGE_TYPE,
    outboxRoutingKeyPrefix: raw.OUTBOX_ROUTING_KEY_PREFIX,
    port: raw.PORT,
    host: raw.HOST ?? (environment === 'production' ? '0.0.0.0' : '127.0.0.1'),
    logLevel: raw.LOG_LEVEL,
    idempotencyTtlMs: raw.IDEMPOTENCY_TTL_HOURS * HOUR_MS,
    holds: holdSettings(raw),
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
    http: httpLimits(raw),
    metricsPort: metricsPort('METRICS_PORT', raw.METRICS_PORT, environment, METRICS_PORT_DEFAULT),
    relayMetricsPort: metricsPort('RELAY_METRICS_PORT', raw.RELAY_METRICS_PORT, environment, RELAY_METRICS_PORT_DEFAULT),
    consoleEnabled: raw.CONSOLE_ENABLED ?? environment !== 'production',
    reads: { replicaUrl: raw.DATABASE_READ_URL, maxLagMs: raw.READ_MAX_LAG_MS, positionWaitMs: raw.READ_POSITION_WAIT_MS },
  };
}

function metricsPort(name: string, given: string | undefined, environment: EnvironmentName, fallback: number): number | undefined {
  if (given === undefined) return environment === 'test' ? undefined : fallback;
  if (given === 'off') return undefined;
  const port = Number(given);
  if (port > 65535) throw new ConfigError(`${name} must be a port number (0 to 65535) or off`);
  return port;
}

function holdSettings(raw: Environment): HoldSettings {
  if (raw.HOLD_TTL_DEFAULT_HOURS > raw.HOLD_TTL_MAX_HOURS) {
    throw new ConfigError('HOLD_TTL_DEFAULT_HOURS must not be greater than HOLD_TTL_MAX_HOURS');
  }
  return {
    ttlMaxMs: raw.HOLD_TTL_MAX_HOURS * HOUR_MS,
    ttlDefaultMs: raw.HOLD_TTL_DEFAULT_HOURS * HOUR_MS,
    sweepIntervalMs: raw.HOLD_SWEEP_INTERVAL_MS,
  };
}

function httpLimits(raw: Environment): HttpLimits {
  // Node refuses a headers timeout longer than the whole request's.
  if (raw.HTTP_HEADERS_TIMEOUT_MS > raw.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS must not be greater than HTTP_REQUEST_TIMEOUT_MS');
  }
  return {
    headersTimeoutMs: raw.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: raw.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: raw.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    connectionsMax: raw.HTTP_CONNECTIONS_MAX,
  };
}

/**
 * A DATABASE_URL without ENVIRONMENT is most likely a deployment that forgot it: running it as
 * development would accept the published key, so it is refused. Neither set is a laptop.
 */
function resolveEnvironmentName(raw: Environment): EnvironmentName {
  if (raw.ENVIRONMENT) return raw.ENVIRONMENT;
  if (raw.DATABASE_URL) throw new ConfigError('ENVIRONMENT is required when DATABASE_URL is set (development, test or production)');
  return 'development';
}

/** The comma-separated keys, trimmed (HTTP drops spaces around a header value too). */
function parseServiceApiKeys(value: string): string[] {
  const keys = value.split(',').map((key) => key.trim());
  if (keys.length > SERVICE_API_KEYS_MAX) {
    throw new ConfigError(`SERVICE_API_KEY holds at most ${SERVICE_API_KEYS_MAX} keys separated by a comma (the current and the next)`);
  }
  if (keys.some((key) => key === '')) throw new ConfigError('SERVICE_API_KEY has an empty key (check its commas and spaces)');
  return keys;
}

// --- BROKER_URL: one URL, or a cluster's nodes separated by commas -------------------------------

/** A relay tries at most this many brokers in turn; a cluster is three, five or seven nodes. */
const BROKER_URLS_MAX = 16;
const BROKER_PROTOCOLS = ['amqp:', 'amqps:'];

/** The trimmed URLs, each an amqp:// or amqps:// URL; the message names an entry by position, never by its text (it may hold a password). */
function parseBrokerUrls(value: string): string[] {
  const urls = value.split(',').map((url) => url.trim());
  if (urls.length > BROKER_URLS_MAX) throw new ConfigError(`BROKER_URL holds at most ${BROKER_URLS_MAX} URLs separated by a comma`);
  urls.forEach((url, index) => {
    const entry = urls.length === 1 ? 'BROKER_URL' : `BROKER_URL entry ${index + 1} of ${urls.length}`;
    if (url === '') throw new ConfigError(`${entry} is empty (check its commas and spaces)`);
    if (!URL.canParse(url)) throw new ConfigError(`${entry} is not a URL; expected amqp://user:password@host:port or amqps://...`);
    const protocol = new URL(url).protocol;
    if (!BROKER_PROTOCOLS.includes(protocol)) throw new ConfigError(`${entry} must start with amqp:// or amqps://, not ${protocol}//`);
    if (new URL(url).hostname === '') throw new ConfigError(`${entry} names no host`);
  });
  return urls;
}

// ---------------------------------------------------------------------------------------------------

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

function requireProductionSettings(raw: Environment, serviceApiKeys: string[] | undefined): void {
  if (!raw.DATABASE_URL) throw new ConfigError('DATABASE_URL is required when ENVIRONMENT=production');
  if (!serviceApiKeys) throw new ConfigError('SERVICE_API_KEY is required when ENVIRONMENT=production');
  if (!raw.SECRET_KEY) throw new ConfigError('SECRET_KEY is required when ENVIRONMENT=production');
  for (const key of serviceApiKeys) requireStrongSecret('SERVICE_API_KEY', key);
  requireStrongSecret('SECRET_KEY', raw.SECRET_KEY);
  if (serviceApiKeys.includes(raw.SECRET_KEY.trim())) {
    throw new ConfigError('SERVICE_API_KEY must differ from SECRET_KEY when ENVIRONMENT=production');
  }
}

/** Refuses a production secret that is published, short or repetitive; the message never holds the value. */
function requireStrongSecret(name: string, value: string): void {
  const secret = value.trim();
  if (secret === DEVELOPMENT_API_KEY) {
    throw new ConfigError(`${name} is the published development key; set a secret one when ENVIRONMENT=production`);
  }
  if (secret.length < SECRET_LENGTH_MIN) {
    throw new ConfigError(`${name} must be at least ${SECRET_LENGTH_MIN} characters when ENVIRONMENT=production`);
  }
  if (new Set(secret).size < SECRET_DISTINCT_CHARACTERS_MIN) {
    throw new ConfigError(`${name} must have at least ${SECRET_DISTINCT_CHARACTERS_MIN} different characters when ENVIRONMENT=production`);
  }
}
