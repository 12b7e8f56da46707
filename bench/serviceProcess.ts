import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../test/support/freePort.js';
import { peakRssBytes, threadCount } from './cpu.js';

// The service under test, started as its own process from the built dist/ (what `npm start` runs),
// so that its memory and CPU are its own and the load generator does not share its event loop.

export const BENCH_API_KEY = 'bench-service-api-key-0123456789abcdef';
const SERVER_ENTRY = 'dist/src/main/server.js';
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;
const STOP_TIMEOUT_MS = 20_000;
const OUTPUT_KEPT_CHARS = 4_000;

export interface ServiceProcess {
  url: string;
  pid: number;
  /** The last lines the service printed, for the report when something fails. */
  output(): string;
  peakRssBytes(): Promise<number | undefined>;
  threads(): Promise<number | undefined>;
  /** SIGTERM, then waits for the exit; returns the exit code. */
  stop(): Promise<number | null>;
}

export async function startService(databaseUrl: string, environment: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: {
      PATH: process.env.PATH,
      ENVIRONMENT: 'development',
      DATABASE_URL: databaseUrl,
      SERVICE_API_KEY: BENCH_API_KEY,
      HOST: '127.0.0.1',
      PORT: String(port),
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_KEPT_CHARS));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, child, exited, () => output);
  return {
    url,
    pid: child.pid!,
    output: () => output,
    peakRssBytes: () => peakRssBytes(child.pid!),
    threads: () => threadCount(child.pid!),
    stop: () => stopChild(child, exited),
  };
}

async function waitUntilReady(url: string, child: ChildProcess, exited: Promise<number | null>, output: () => string) {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the service exited during start-up (code ${child.exitCode}):\n${output()}`);
    const response = await fetch(`${url}/readyz`).catch(() => undefined);
    if (response?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  child.kill('SIGKILL');
  throw new Error(`the service was not ready within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
