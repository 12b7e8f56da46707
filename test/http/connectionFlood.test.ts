// Proves that a client opening hundreds of idle sockets cannot stop a normal client from being
// served, even with a file limit below that many sockets: the service holds at most
// HTTP_CONNECTIONS_MAX connections, closes the oldest idle one to admit a newcomer, and so keeps the
// file descriptors its database pool needs.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PROJECT_ROOT } from '../../src/paths.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/freePort.js';
import { TEST_API_KEY } from '../support/service.js';
import { UNKNOWN_ID } from './helpers.js';

/** Below the idle sockets opened: without a cap, accepting them exhausts the process's descriptors. */
const FILE_LIMIT = 256;
const CONNECTIONS_MAX = 100;
const IDLE_SOCKETS = 400;
/** Long, so that only the cap (not the timeout) can make room during the test. */
const HEADERS_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 30_000;
const ANSWER_TIMEOUT_MS = 5_000;

let database: TestDatabase;
let server: ChildProcess;
let baseUrl: string;
let output = '';
const idle: net.Socket[] = [];

before(async () => {
  database = await createTestDatabase(2);
  const port = await freePort();
  // `ulimit -n` in a shell that then becomes the service: Node has no call to lower its own limit.
  server = spawn('sh', ['-c', `ulimit -n ${FILE_LIMIT} && exec "$0" "$@"`, process.execPath, '--import', 'tsx', path.join(PROJECT_ROOT, 'src/main/server.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      ENVIRONMENT: 'test',
      DATABASE_URL: database.url,
      SERVICE_API_KEY: TEST_API_KEY,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      HTTP_CONNECTIONS_MAX: String(CONNECTIONS_MAX),
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (chunk) => (output += chunk));
  server.stderr!.on('data', (chunk) => (output += chunk));
  baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilHealthy();
});

after(async () => {
  for (const socket of idle) socket.destroy();
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await database.drop();
});

test(`${IDLE_SOCKETS} idle sockets under a file limit of ${FILE_LIMIT} do not stop a normal client`, async () => {
  const port = Number(new URL(baseUrl).port);
  await Promise.all(Array.from({ length: IDLE_SOCKETS }, () => openIdleSocket(port)));
  // Let the server see every one of them before the normal client arrives.
  await new Promise((resolve) => setTimeout(resolve, 500));

  const ready = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
  assert.equal(ready.status, 200, `readyz: ${await ready.clone().text()}\n${output}`);
  const read = await fetch(`${baseUrl}/v1/accounts/${UNKNOWN_ID}`, {
    headers: { 'x-service-api-key': TEST_API_KEY },
    signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
  });
  assert.equal(read.status, 404, await read.text());

  const stillOpen = idle.filter((socket) => !socket.destroyed).length;
  assert.ok(stillOpen <= CONNECTIONS_MAX, `${stillOpen} idle sockets are held open, more than ${CONNECTIONS_MAX}`);
});

function openIdleSocket(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve());
    idle.push(socket);
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
}

async function waitUntilHealthy(): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the service exited during start-up:\n${output}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the service did not become healthy within ${START_TIMEOUT_MS} ms:\n${output}`);
}
