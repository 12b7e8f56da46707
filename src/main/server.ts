import './gcTuning.js';
import { DEVELOPMENT_API_KEY, type Config } from '../config.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embeddedPostgres.js';
import { migrateToLatest } from '../db/migrations.js';
import { createLogger, createService } from '../service.js';
import { loadConfigOrExit, stopOnSignal } from './lifecycle.js';

// `npm start`: the HTTP service. Without DATABASE_URL (development only) it starts an embedded
// PostgreSQL with its data under .data/ and migrates it; with DATABASE_URL it runs no migration.

const EMBEDDED_DATABASE_NAME = 'wallet_ledger';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config);
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(config.embeddedPostgresDir, config.embeddedPostgresPort);
    databaseUrl = await ensureDatabase(embedded.serverUrl, EMBEDDED_DATABASE_NAME);
    const applied = await migrateToLatest(databaseUrl);
    logger.info({ dataDir: config.embeddedPostgresDir, applied }, 'embedded PostgreSQL started and migrated');
  }
  const service = await createService(config, databaseUrl, logger);
  const address = await service.app.listen({ port: config.port, host: config.host });
  printBanner(config, address, embedded !== undefined);

  stopOnSignal(
    config.shutdownTimeoutMs,
    async (signal) => {
      logger.info({ signal }, 'shutting down: finishing queued operations');
      await service.close();
      await embedded?.stop();
    },
    () => logger.error('shutdown took longer than SHUTDOWN_TIMEOUT_MS; exiting'),
  );
}

function printBanner(config: Config, address: string, embedded: boolean): void {
  const lines = [`Wallet ledger service listening on ${address.replace('0.0.0.0', '127.0.0.1')} (${config.environment})`];
  lines.push(`  API docs: ${address.replace('0.0.0.0', '127.0.0.1')}/docs`);
  if (embedded) lines.push(`  database: embedded PostgreSQL, data in ${config.embeddedPostgresDir}`);
  if (config.serviceApiKeyIsDevelopmentDefault) {
    lines.push('  !!! SERVICE_API_KEY is not set: using the DEVELOPMENT key below. Never use it in production. !!!');
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
