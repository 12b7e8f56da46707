import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool } from '../../src/db/pool.js';

// Each test file gets its own freshly migrated database, copied from the template that
// test/run.ts migrated once, so that files run in parallel without seeing each other's rows.

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\``);
  return value;
}

export function adminUrl(): string {
  return requireEnv('TEST_POSTGRES_ADMIN_URL');
}

export function brokerUrl(): string {
  return requireEnv('TEST_BROKER_URL');
}

export async function createTestDatabase(poolMax = 20): Promise<TestDatabase> {
  const template = requireEnv('TEST_TEMPLATE_DATABASE');
  const name = `test_${randomBytes(6).toString('hex')}`;
  await runAdmin(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), poolMax, { applicationName: 'wallet-ledger-test' });
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      await runAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Runs one statement as the test server's administrator (statements that take no parameters, like CREATE DATABASE). */
export async function runAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` while the database defaults to read-only transactions, so that sessions opened
 * meanwhile refuse writes as a hot standby does (SQLSTATE 25006); the default is reset after.
 */
export async function whileReadOnly<T>(database: TestDatabase, work: () => Promise<T>): Promise<T> {
  const name = new URL(database.url).pathname.slice(1);
  await runAdmin(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
  try {
    return await work();
  } finally {
    await runAdmin(`ALTER DATABASE ${name} RESET default_transaction_read_only`);
  }
}
