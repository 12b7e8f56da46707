import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { pino, type Logger } from 'pino';
import { PartitionedWriter } from '../partitions/partitionedWriter.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { CommitPositions } from './db/commitPositions.js';
import { createPool } from './db/pool.js';
import { ReadPools, type ReadSource } from './db/readPools.js';
import { ReplicaMonitor } from './db/replicaMonitor.js';
import { buildApp } from './http/app.js';
import { readinessProblem } from './http/routes/health.js';
import { latestMigrationName } from './db/migrations.js';
import { answersWithPositions } from './http/positionedAnswers.js';
import { storedResponses, type WriteResponse } from './http/writeResponses.js';
import { startHoldExpirySweep, type HoldExpirySweep } from './ledger/holdExpirySweep.js';
import { startIdempotencyPurge } from './ledger/idempotencyPurge.js';
import { createLedgerContext } from './ledger/ledgerContext.js';
import type { LedgerWriter } from './ledger/ledgerWriter.js';
import { startMetricsServer, type MetricsServer } from './metrics/metricsServer.js';
import { ServiceMetrics } from './metrics/serviceMetrics.js';

// The service's parts wired together: logger, pool, write path, HTTP app, housekeeping.

/** Header values that must never reach a log line (secrets are never logged in the first place). */
export const REDACTED_PATHS = ['req.headers["x-service-api-key"]', 'req.headers.authorization', 'req.headers.cookie'];

export interface Service {
  app: FastifyInstance;
  pool: pg.Pool;
  writer: LedgerWriter<WriteResponse>;
  logger: Logger;
  /** Where Prometheus scrapes this process; undefined when METRICS_PORT is off. */
  metricsUrl: string | undefined;
  /** Expires due holds every HOLD_SWEEP_INTERVAL_MS; tests may sweep at once. */
  holdExpiry: HoldExpirySweep;
  /** Stops accepting, answers what is queued, closes the pool. */
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}

export async function createService(
  config: Config,
  databaseUrl: string,
  logger: Logger = createLogger(config),
  clock: Clock = systemClock,
): Promise<Service> {
  // A clock other than the system's cannot reach the partitions' worker threads.
  if (clock !== systemClock && config.partitionMode === 'worker') throw new Error('a test clock needs PARTITION_MODE=inline');
  // Inline partitions commit on this pool: one connection each stays open through quiet spells.
  const keptConnections = config.partitionMode === 'inline' ? config.partitions : 0;
  const pool = createPool(databaseUrl, config.databasePoolMax, { keptConnections });
  const context = createLedgerContext(
    pool,
    clock,
    { idempotencyTtlMs: config.idempotencyTtlMs, routingKeyPrefix: config.outboxRoutingKeyPrefix, storedResponses },
    logger,
  );
  const metrics = config.metricsPort === undefined ? undefined : await serviceMetrics(pool, logger);
  const writer = new PartitionedWriter(context, {
    mode: config.partitionMode,
    databaseUrl,
    logLevel: config.logLevel,
    partitions: config.partitions,
    batchMax: config.batchMax,
    queueMax: config.queueMax,
    observer: metrics,
  });
  metrics?.readQueueDepthsFrom(() => writer.queueDepths(), config.queueMax);
  let metricsServer: MetricsServer | undefined;
  try {
    metricsServer = metrics && (await startMetricsServer(() => metrics.exposition(), config.metricsPort!, config.host));
  } catch (error) {
    // Its port is taken, most likely: nothing else has started yet.
    await writer.close();
    await pool.end();
    throw error;
  }
  const reads = startReads(config, databaseUrl, pool, metrics, logger);
  const app = await buildApp({
    pool,
    reads: reads.pools,
    // The position costs a query per batch and a round trip per answer: only worth it with a replica to read from.
    writer: config.reads.replicaUrl === undefined ? writer : answersWithPositions(writer, new CommitPositions(pool), logger),
    serviceApiKeys: config.serviceApiKeys,
    logger,
    environment: config.environment,
    httpLimits: config.http,
    metrics,
    clock,
    holds: config.holds,
    consoleEnabled: config.consoleEnabled,
  });
  const stopPurge = startIdempotencyPurge(pool, clock, logger);
  const holdExpiry = startHoldExpirySweep(pool, writer, clock, config.holds.sweepIntervalMs, logger);
  return {
    app,
    pool,
    writer,
    logger,
    metricsUrl: metricsServer?.url,
    holdExpiry,
    async close() {
      stopPurge();
      await holdExpiry.stop();
      await metricsServer?.close();
      await app.close();
      logger.info('HTTP server closed');
      await writer.close();
      logger.info('write path drained');
      await reads.close();
      await pool.end();
    },
  };
}

/** Where the GET endpoints read: the replica at DATABASE_READ_URL while it is fresh enough, else the primary. */
function startReads(config: Config, databaseUrl: string, primary: pg.Pool, metrics: ServiceMetrics | undefined, logger: Logger) {
  const served = metrics && ((source: ReadSource) => metrics.readsServed.increment(source, () => ({ source })));
  const { replicaUrl, maxLagMs, positionWaitMs } = config.reads;
  if (replicaUrl === undefined) return { pools: new ReadPools(primary, undefined, served), close: async () => {} };
  const monitor = new ReplicaMonitor(databaseUrl, replicaUrl, logger);
  const pool = createPool(replicaUrl, config.databasePoolMax, { applicationName: 'wallet-ledger-reads' });
  monitor.start();
  metrics?.readReplicaStalenessFrom(() => monitor.stalenessMs());
  return {
    pools: new ReadPools(primary, { pool, monitor, maxLagMs, positionWaitMs }, served),
    async close() {
      await monitor.stop();
      await pool.end();
    },
  };
}

/** The service's metrics, whose readiness gauge asks what /readyz asks. */
async function serviceMetrics(pool: pg.Pool, logger: Logger): Promise<ServiceMetrics> {
  const latestMigration = await latestMigrationName();
  return new ServiceMetrics(pool, async () => (await readinessProblem(pool, latestMigration, logger)) === undefined);
}
