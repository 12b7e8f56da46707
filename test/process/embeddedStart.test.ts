// Proves the README's run command works without a database: with DATABASE_URL unset the server
// starts an embedded PostgreSQL in its data folder, migrates it, serves requests, keeps the data
// across a restart, and prints its URL and the development key.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEVELOPMENT_API_KEY } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { freePort } from '../support/freePort.js';

const START_TIMEOUT_MS = 90_000;

async function startDevelopmentServer(dataDir: string, port: number, databasePort: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src/main/server.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      EMBEDDED_POSTGRES_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(databasePort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output.includes('X-Service-Api-Key')) {
    if (child.exitCode !== null || Date.now() > deadline) assert.fail(`server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { output: () => output, stop: async () => {
    child.kill('SIGTERM');
    return exited;
  } };
}

test('npm start without DATABASE_URL runs on an embedded PostgreSQL that keeps its data', { timeout: 240_000 }, async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ledger-embedded-start-'));
  await chmod(root, 0o755);
  const dataDir = path.join(root, 'postgres');
  const [port, databasePort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const headers = { 'x-service-api-key': DEVELOPMENT_API_KEY, 'content-type': 'application/json' };
  try {
    const first = await startDevelopmentServer(dataDir, port, databasePort);
    assert.match(first.output(), new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`));
    assert.ok(first.output().includes(`X-Service-Api-Key: ${DEVELOPMENT_API_KEY}`));
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const opened = await fetch(`${base}/v1/accounts`, { method: 'POST', headers, body: JSON.stringify({ currency: 'USD' }) });
    assert.equal(opened.status, 201);
    const { id } = (await opened.json()) as { id: string };
    assert.equal(await first.stop(), 0);

    const second = await startDevelopmentServer(dataDir, port, databasePort);
    const again = await fetch(`${base}/v1/accounts/${id}`, { headers });
    assert.equal(again.status, 200, 'the account survived the restart');
    assert.equal(await second.stop(), 0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
