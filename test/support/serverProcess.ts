import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { SERVER_V8_FLAGS } from '../../src/main/gcTuning.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { freePort } from './freePort.js';
import { TEST_API_KEY } from './service.js';

// The service as users run it: a separate process started from src/main/server.ts, with the V8
// flags `npm start` passes.

const START_TIMEOUT_MS = 30_000;

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServerProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...SERVER_V8_FLAGS, '--import', 'tsx', path.join(PROJECT_ROOT, 'src/main/server.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      ENVIRONMENT: 'test',
      DATABASE_URL: databaseUrl,
      SERVICE_API_KEY: TEST_API_KEY,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(url, exited, () => output);
  return {
    url,
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

async function waitUntilHealthy(url: string, exited: Promise<number | null>, output: () => string): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (done) throw new Error(`server exited during start-up:\n${output()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not become healthy within ${START_TIMEOUT_MS} ms:\n${output()}`);
}

/** A JSON request over real HTTP with the test API key. */
export async function httpRequest(
  baseUrl: string,
  method: string,
  urlPath: string,
  body?: unknown,
  idempotencyKey?: string,
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'x-service-api-key': TEST_API_KEY };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const response = await fetch(`${baseUrl}${urlPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
