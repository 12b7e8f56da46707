import { loadConfig, ConfigError, type Config } from '../config.js';
import { createLogger, describeError } from '../relay/logger.js';
import { OutboxRelay, relaySettingsFromConfig } from '../relay/relay.js';

// `npm run outbox-worker`: the outbox relay process. It runs until SIGTERM or SIGINT, riding out
// broker and database outages; on a signal it finishes the batch in flight, releases its claims
// and exits 0.

/** Shutdown may have to wait for one publish timeout (the batch in flight), plus its commit. */
const SHUTDOWN_MARGIN_MS = 5_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.databaseUrl) {
    exitWithMessage('DATABASE_URL is required for the outbox worker (point it at the database `npm start` uses)');
  }
  const log = createLogger(config.logLevel, 'outbox-relay');
  const relay = new OutboxRelay(relaySettingsFromConfig(config, config.databaseUrl), log);
  await relay.start();
  log.info('outbox relay started', { exchange: config.outboxExchange, exchange_type: config.outboxExchangeType });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('outbox relay stopping: finishing the batch in flight', { signal });
    const deadline = setTimeout(() => {
      log.error('outbox relay shutdown timed out; exiting (unfinished claims are released with the connection)');
      process.exit(1);
    }, Math.max(config.shutdownTimeoutMs, config.outbox.publishTimeoutMs + SHUTDOWN_MARGIN_MS));
    deadline.unref();
    await relay.stop();
    log.info('outbox relay stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) exitWithMessage(error.message);
    throw error;
  }
}

function exitWithMessage(message: string): never {
  console.error(message);
  process.exit(1);
}

main().catch((error: unknown) => {
  // Outages are handled inside the relay; reaching here is a bug, which should stop loudly.
  console.error(`outbox relay failed: ${describeError(error)}`, error);
  process.exit(1);
});
