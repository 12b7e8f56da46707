import pg from 'pg';
import { appliedMigrationName, latestMigrationName, runMigrations } from '../src/db/migrations.js';
import type { AbTurn } from './abReport.js';

// BENCH_AB_A_SCHEMA=previous: side A of the same-run A/B runs on the schema without this tree's
// newest migration, side B with it, so that a schema change is measured side by side like a code
// change. Before each turn the schema is moved to that side's (the newest migration's Down, or its
// Up), on the same database.

/** Applies or reverts the newest migration so that the database has the side's schema. */
export async function moveSchemaTo(side: AbTurn['side'], databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'wallet-ledger-bench-schema' });
  await client.connect();
  try {
    const latestApplied = (await appliedMigrationName(client)) === (await latestMigrationName());
    if ((side === 'A') !== latestApplied) return;
    await runMigrations(client, side === 'A' ? 'down' : 'up', 1);
  } finally {
    await client.end();
  }
}
