import { exitWithMessage, loadConfigOrExit, stopOnSignal } from './lifecycle.js';
import { createLogger, describeError } from '../logger.js';
import { createPool } from '../db/pool.js';
import { startMetricsServer } from '../metrics/metricsServer.js';
import { RelayMetrics } from '../metrics/relayMetrics.js';
import { OutboxRelay, relaySettingsFromConfig } from '../relay/relay.js';

// `npm run outbox-worker`: the outbox relay process. It runs until SIGTERM or SIGINT, riding out
// broker and database outages; on a signal it finishes the batch in flight, releases its claims
// and exits 0. A broker that holds the exchange with other arguments is no outage: the relay has
// logged why, and the process exits EXIT_BROKER_REFUSED instead of retrying while the outbox grows.

const SHUTDOWN_MARGIN_MS = 5_000;
/** sysexits' EX_CONFIG: the broker's configuration and the relay's disagree. */
const EXIT_BROKER_REFUSED = 78;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.databaseUrl) {
    exitWithMessage('DATABASE_URL is required for the outbox worker (point it at the database `npm start` uses)');
  }
  const log = createLogger(config.logLevel, 'outbox-relay');
  const metrics = config.relayMetricsPort === undefined ? undefined : new RelayMetrics();
  const relay: OutboxRelay = new OutboxRelay(relaySettingsFromConfig(config, config.databaseUrl), log, {
    ...metrics?.hooks(),
    onBrokerRefused: () => void stopAndExit(relay, config.shutdownTimeoutMs),
  });
  // The metrics read the outbox on a connection of their own, never one the relay is publishing on.
  const metricsPool = metrics && createPool(config.databaseUrl, 1, { applicationName: 'wallet-ledger-relay-metrics' });
  const metricsServer = metrics && (await startMetricsServer(() => metrics.exposition(), config.relayMetricsPort!, config.host));
  await relay.start();
  if (metrics) void metrics.startSampling(metricsPool!, log);
  log.info({ exchange: config.outboxExchange, exchange_type: config.outboxExchangeType, metrics: metricsServer?.url }, 'outbox relay started');

  // Shutdown may have to wait for one publish timeout (the batch in flight), plus its commit.
  const timeoutMs = Math.max(config.shutdownTimeoutMs, config.outbox.publishTimeoutMs + SHUTDOWN_MARGIN_MS);
  stopOnSignal(
    timeoutMs,
    async (signal) => {
      log.info({ signal }, 'outbox relay stopping: finishing the batch in flight');
      await relay.stop();
      metrics?.stopSampling();
      await metricsServer?.close();
      await metricsPool?.end();
      log.info({}, 'outbox relay stopped');
    },
    () => log.error({}, 'outbox relay shutdown timed out; exiting (unfinished claims are released with the connection)'),
  );
}

/** Releases the relay's claims and connections (bounded by `timeoutMs`), then exits EXIT_BROKER_REFUSED. */
async function stopAndExit(relay: OutboxRelay, timeoutMs: number): Promise<void> {
  setTimeout(() => process.exit(EXIT_BROKER_REFUSED), timeoutMs).unref();
  await relay.stop().catch(() => {});
  process.exit(EXIT_BROKER_REFUSED);
}

main().catch((error: unknown) => {
  // Outages are handled inside the relay; reaching here is a bug, which should stop loudly.
  console.error(`outbox relay failed: ${describeError(error)}`, error);
  process.exit(1);
});
