// Proves migrations are safe to run twice and from two processes at once, and that `migrate`
// applies the schema to DATABASE_URL and exits.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { appliedMigrationName, latestMigrationName } from '../../src/db/migrations.js';
import { MIGRATIONS_DIR, PROJECT_ROOT } from '../../src/paths.js';
import { adminUrl } from '../support/database.js';

async function emptyDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

function runMigrate(databaseUrl: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src/main/migrate.ts')], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, ENVIRONMENT: 'test', DATABASE_URL: databaseUrl },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

test('two migrate processes at once both succeed and apply each migration once', async () => {
  const url = await emptyDatabase(`migrate_${process.pid}`);
  const [first, second] = await Promise.all([runMigrate(url), runMigrate(url)]);
  assert.equal(first.code, 0, first.output);
  assert.equal(second.code, 0, second.output);
  assert.ok([first.output, second.output].some((output) => output.includes('database is up to date')));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    assert.equal(await appliedMigrationName(client), await latestMigrationName());
    const runs = await client.query('SELECT count(*)::int AS runs, count(DISTINCT name)::int AS names FROM pgmigrations');
    const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.sql'));
    assert.deepEqual(runs.rows[0], { runs: files.length, names: files.length });
  } finally {
    await client.end();
  }
  const again = await runMigrate(url);
  assert.equal(again.code, 0);
  assert.match(again.output, /database is up to date/);
});

test('migrate without DATABASE_URL explains what it needs', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src/main/migrate.ts')], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH },
  });
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 1);
  assert.equal(output.trim(), 'DATABASE_URL is required to run migrations');
});
