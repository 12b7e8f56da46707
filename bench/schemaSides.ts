import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { appliedMigrationName, latestMigrationName } from '../src/db/migrations.js';
import { MIGRATIONS_DIR } from '../src/paths.js';

// BENCH_AB_A_SCHEMA=previous: side A of the same-run A/B runs on the schema without this tree's
// newest migration, side B with it, so that a schema change is measured side by side like a code
// change. Before each turn the schema is moved to that side's (the newest migration's Down, or its
// Up), on the same database.

const MIGRATIONS_TABLE = 'pgmigrations';

export type AbSide = 'A' | 'B';

/** Applies or reverts the newest migration so that the database has the side's schema. */
export async function moveSchemaTo(side: AbSide, databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'wallet-ledger-bench-schema' });
  await client.connect();
  try {
    const latestApplied = (await appliedMigrationName(client)) === (await latestMigrationName());
    if ((side === 'A') !== latestApplied) return;
    await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: side === 'A' ? 'down' : 'up',
      count: 1,
      migrationsTable: MIGRATIONS_TABLE,
      singleTransaction: true,
      log: () => {},
    });
  } finally {
    await client.end();
  }
}
