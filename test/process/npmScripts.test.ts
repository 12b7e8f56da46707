// Proves `npm start` and `npm run outbox-worker` are the node process itself, running the built
// code: a start compiles nothing (it costs under START_CPU_MAX_MS of CPU), and SIGTERM or SIGINT
// sent to the npm process stops node gracefully, the embedded PostgreSQL included, leaving
// nothing running and nothing answering on the ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER_V8_FLAGS } from '../../src/main/gcTuning.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { brokerUrl, createTestDatabase } from '../support/database.js';
import { canConnect, freePort } from '../support/freePort.js';
import { childrenOf, commandLineOf, isAlive, treeCpuMs } from '../support/processTree.js';
import { TEST_API_KEY } from '../support/service.js';

/**
 * Starting the built server costs ~1.5 s of CPU with npm around it (2 cores under heavy load);
 * compiling first, as `npm start` once did, costs over 10 s more. On a quiet machine CPU time is
 * about the wall time to listen.
 */
const START_CPU_MAX_MS = 5_000;
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;

interface NpmRun {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function npmRun(script: string, env: Record<string, string>): NpmRun {
  const child = spawn('npm', ['run', script], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

async function waitFor(what: string, run: NpmRun, ready: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await ready())) {
    if (run.child.exitCode !== null || Date.now() > deadline) assert.fail(`${what} did not start:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** npm's one child is node itself (no shell between them that a signal would stop at). */
function nodeChildOf(run: NpmRun, entry: string): number {
  const children = childrenOf(run.child.pid!);
  assert.equal(children.length, 1, `npm's children: ${children.map((pid) => commandLineOf(pid).join(' '))}`);
  const commandLine = commandLineOf(children[0]!);
  assert.equal(path.basename(commandLine[0]!), 'node', commandLine.join(' '));
  assert.equal(commandLine.at(-1), entry);
  return children[0]!;
}

async function stop(run: NpmRun, signal: NodeJS.Signals, node: number) {
  run.child.kill(signal);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const exit = await run.exited;
  clearTimeout(timer);
  assert.deepEqual(exit, { code: 0, signal: null }, run.output());
  assert.equal(isAlive(node), false, 'node outlived npm');
}


const healthy = (port: number) => () => fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false);

before(() => {
  // npm runs what the last build left in dist/; build it from this source, as `npm ci` does.
  const compiler = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [compiler, '-p', 'tsconfig.build.json'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stdout + build.stderr);
});

test('npm start runs the built server at once, with its V8 flags, and SIGTERM to npm stops it', { timeout: 300_000 }, async (t) => {
  const database = await createTestDatabase(1);
  const port = await freePort();
  const env = { ENVIRONMENT: 'test', DATABASE_URL: database.url, SERVICE_API_KEY: TEST_API_KEY, PORT: String(port), LOG_LEVEL: 'warn' };
  try {
    const started = Date.now();
    const run = npmRun('start', env);
    await waitFor('npm start', run, healthy(port));
    const cpuMs = treeCpuMs(run.child.pid!);
    t.diagnostic(`listening after ${Date.now() - started} ms (wall), ${cpuMs} ms of CPU (npm and node)`);
    assert.ok(cpuMs < START_CPU_MAX_MS, `starting cost ${cpuMs} ms of CPU:\n${run.output()}`);
    const node = nodeChildOf(run, 'dist/src/main/server.js');
    for (const flag of SERVER_V8_FLAGS) assert.ok(commandLineOf(node).includes(flag), flag);
    const opened = await fetch(`http://127.0.0.1:${port}/v1/accounts`, {
      method: 'POST',
      headers: { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ currency: 'USD' }),
    });
    assert.equal(opened.status, 201);
    await stop(run, 'SIGTERM', node);
    assert.equal(await canConnect(port), false);
  } finally {
    await database.drop();
  }
});

test('SIGINT to npm start in development stops node and its embedded PostgreSQL', { timeout: 300_000 }, async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ledger-npm-start-'));
  // Run as root, PostgreSQL runs as the `postgres` user, which must be able to enter this folder.
  await chmod(root, 0o755);
  const dataDir = path.join(root, 'postgres');
  const [port, databasePort] = [await freePort(), await freePort()];
  const env = { PORT: String(port), LOG_LEVEL: 'warn', EMBEDDED_POSTGRES_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(databasePort) };
  try {
    const run = npmRun('start', env);
    await waitFor('npm start (development)', run, () => run.output().includes('X-Service-Api-Key'));
    const databaseUrl = `postgres://postgres:postgres@127.0.0.1:${databasePort}/wallet_ledger`;
    assert.ok(run.output().includes(`DATABASE_URL=${databaseUrl}`), run.output());
    assert.ok(run.output().includes(`listening on http://127.0.0.1:${port} (development)`), run.output());
    const postmaster = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    assert.ok(isAlive(postmaster));
    const node = nodeChildOf(run, 'dist/src/main/server.js');
    await stop(run, 'SIGINT', node);
    assert.equal(isAlive(postmaster), false, 'the embedded PostgreSQL outlived the server');
    assert.deepEqual([await canConnect(port), await canConnect(databasePort)], [false, false]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('SIGTERM to npm run outbox-worker stops the relay gracefully', { timeout: 300_000 }, async () => {
  const database = await createTestDatabase(1);
  const env = {
    ENVIRONMENT: 'test',
    DATABASE_URL: database.url,
    BROKER_URL: brokerUrl(),
    OUTBOX_EXCHANGE: `test.${randomBytes(4).toString('hex')}.events`,
    LOG_LEVEL: 'info',
  };
  try {
    const run = npmRun('outbox-worker', env);
    await waitFor('npm run outbox-worker', run, () => run.output().includes('outbox relay started'));
    const node = nodeChildOf(run, 'dist/src/main/outboxWorker.js');
    await stop(run, 'SIGTERM', node);
    assert.match(run.output(), /outbox relay stopped/);
  } finally {
    await database.drop();
  }
});
