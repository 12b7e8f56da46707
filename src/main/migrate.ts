import { loadConfig, ConfigError } from '../config.js';
import { migrateToLatest } from '../db/migrations.js';

// `npm run migrate`: applies pending migrations to DATABASE_URL and exits. Safe to run twice and
// from two processes at once (the second waits for the first, then finds nothing to do).

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is required to run migrations');
  const applied = await migrateToLatest(config.databaseUrl, (line) => console.log(line));
  console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
