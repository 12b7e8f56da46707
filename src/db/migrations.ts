import { readdir } from 'node:fs/promises';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { MIGRATIONS_DIR } from '../paths.js';

// Migrations are plain SQL files in migrations/, applied by node-pg-migrate.

const MIGRATIONS_TABLE = 'pgmigrations';
/** Held for the whole run so that a second `migrate` waits and then finds nothing to do. */
const MIGRATE_LOCK_ID = 4_127_001;

export async function migrateToLatest(databaseUrl: string, log: (line: string) => void = () => {}): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'wallet-ledger-migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK_ID]);
    return await runMigrations(client, 'up', undefined, log);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK_ID]).catch(() => {});
    await client.end();
  }
}

/** Applies (up) or reverts (down) `count` migrations, every pending one when undefined, each file in one transaction. */
export async function runMigrations(
  client: pg.Client,
  direction: 'up' | 'down',
  count?: number,
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const run = await runner({
    dbClient: client,
    dir: MIGRATIONS_DIR,
    direction,
    ...(count === undefined ? {} : { count }),
    migrationsTable: MIGRATIONS_TABLE,
    singleTransaction: true,
    checkOrder: true,
    log,
  });
  return run.map((migration) => migration.name);
}

/** The newest migration shipped with this build. */
export async function latestMigrationName(): Promise<string> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.sql')).sort();
  const latest = files.at(-1);
  if (!latest) throw new Error(`no migrations found in ${MIGRATIONS_DIR}`);
  return latest.replace(/\.sql$/, '');
}

/** The newest migration applied to the database, or undefined when none is. */
export async function appliedMigrationName(queryable: pg.Pool | pg.Client): Promise<string | undefined> {
  const exists = await queryable.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [MIGRATIONS_TABLE]);
  if (!exists.rows[0]?.present) return undefined;
  const result = await queryable.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY run_on DESC, id DESC LIMIT 1`);
  return result.rows[0]?.name;
}
