import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { migrateToLatest } from '../src/db/migrations.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { startPostgresServer } from './support/postgresServer.js';
import { startRabbitmqServer } from './support/rabbitmqServer.js';

// `npm test`: starts a real PostgreSQL and a real RabbitMQ, migrates a template database once,
// then runs every test file with node's test runner. Arguments narrow the files (substrings).

const TEMPLATE_DATABASE = 'ledger_template';
const TEST_CONCURRENCY = Number(process.env.TEST_CONCURRENCY ?? 2);
/** A test that hangs fails after this instead of holding CI until its time runs out (longer soaks raise it). */
const TEST_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 180_000);

async function findTestFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...(await findTestFiles(full)));
    else if (entry.name.endsWith('.test.ts')) found.push(full);
  }
  return found.sort();
}

async function prepareTemplate(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${TEMPLATE_DATABASE}`;
  await migrateToLatest(url.toString());
}

function runNodeTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = ['--import', 'tsx', '--test', `--test-concurrency=${TEST_CONCURRENCY}`, `--test-timeout=${TEST_TIMEOUT_MS}`, ...files];
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env, stdio: 'inherit' });
  // Interrupted, the run still stops the test processes and the servers it started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const all = await findTestFiles(path.join(PROJECT_ROOT, 'test'));
  const files = filters.length ? all.filter((file) => filters.some((filter) => file.includes(filter))) : all;
  if (files.length === 0) throw new Error(`no test files match ${filters.join(' ')}`);

  const [postgres, rabbitmq] = await Promise.all([startPostgresServer(), startRabbitmqServer()]);
  console.log(`# postgres: ${postgres.description}\n# rabbitmq: ${rabbitmq.description}`);
  try {
    await prepareTemplate(postgres.adminUrl);
    return await runNodeTests(files, {
      ...process.env,
      TEST_POSTGRES_ADMIN_URL: postgres.adminUrl,
      TEST_TEMPLATE_DATABASE: TEMPLATE_DATABASE,
      TEST_BROKER_URL: rabbitmq.url,
    });
  } finally {
    await Promise.all([postgres.stop(), rabbitmq.stop()]);
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
