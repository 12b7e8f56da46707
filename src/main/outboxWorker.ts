import { exitWithMessage, loadConfigOrExit, stopOnSignal } from './lifecycle.js';
import { createLogger, describeError } from '../logger.js';
import { OutboxRelay, relaySettingsFromConfig } from '../relay/relay.js';

// `npm run outbox-worker`: the outbox relay process. It runs until SIGTERM or SIGINT, riding out
// broker and database outages; on a signal it finishes the batch in flight, releases its claims
// and exits 0.

const SHUTDOWN_MARGIN_MS = 5_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.databaseUrl) {
    exitWithMessage('DATABASE_URL is required for the outbox worker (point it at the database `npm start` uses)');
  }
  const log = createLogger(config.logLevel, 'outbox-relay');
  const relay = new OutboxRelay(relaySettingsFromConfig(config, config.databaseUrl), log);
  await relay.start();
  log.info({ exchange: config.outboxExchange, exchange_type: config.outboxExchangeType }, 'outbox relay started');

  // Shutdown may have to wait for one publish timeout (the batch in flight), plus its commit.
  const timeoutMs = Math.max(config.shutdownTimeoutMs, config.outbox.publishTimeoutMs + SHUTDOWN_MARGIN_MS);
  stopOnSignal(
    timeoutMs,
    async (signal) => {
      log.info({ signal }, 'outbox relay stopping: finishing the batch in flight');
      await relay.stop();
      log.info({}, 'outbox relay stopped');
    },
    () => log.error({}, 'outbox relay shutdown timed out; exiting (unfinished claims are released with the connection)'),
  );
}

main().catch((error: unknown) => {
  // Outages are handled inside the relay; reaching here is a bug, which should stop loudly.
  console.error(`outbox relay failed: ${describeError(error)}`, error);
  process.exit(1);
});
