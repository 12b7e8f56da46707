import path from 'node:path';
import { SERVER_V8_FLAGS } from '../src/main/gcTuning.js';
import { freePort } from '../test/support/freePort.js';
import { peakRssBytes, threadCount } from './cpu.js';
import { startNodeProcess, type NodeProcess } from './nodeProcess.js';

// The service under test, started as its own process from the built dist/ (what `npm start` runs),
// so that its memory and CPU are its own and the load generator does not share its event loop.

export const BENCH_API_KEY = 'bench-service-api-key-0123456789abcdef';
const SERVER_ENTRY = 'dist/src/main/server.js';
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;

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

export interface ServiceCheckout {
  /** The checkout whose dist/ runs: another git ref's worktree in an A/B. */
  root: string;
  /**
   * /readyz also requires the database at the checkout's own newest migration, which an older ref
   * never is on a database migrated by a newer tree: its A/B turns wait for /healthz (the server
   * listens once it is set up) and the warm-up's successful writes show the rest.
   */
  readinessPath: '/readyz' | '/healthz';
}

export async function startService(
  databaseUrl: string, environment: Record<string, string>, checkout?: ServiceCheckout,
): Promise<ServiceProcess> {
  const port = await freePort();
  const entry = checkout ? path.join(checkout.root, SERVER_ENTRY) : SERVER_ENTRY;
  const service = startNodeProcess(entry, {
    // Metrics on, as deployed, on a free port.
    METRICS_PORT: '0',
    DATABASE_URL: databaseUrl,
    SERVICE_API_KEY: BENCH_API_KEY,
    HOST: '127.0.0.1',
    PORT: String(port),
    ...environment,
  }, checkout?.root, SERVER_V8_FLAGS);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, checkout?.readinessPath ?? '/readyz', service);
  return {
    url,
    pid: service.pid,
    output: service.output,
    peakRssBytes: () => peakRssBytes(service.pid),
    threads: () => threadCount(service.pid),
    stop: service.stop,
  };
}

async function waitUntilReady(url: string, readinessPath: string, { child, exited, output }: NodeProcess) {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the service exited during start-up (code ${child.exitCode}):\n${output()}`);
    const response = await fetch(`${url}${readinessPath}`).catch(() => undefined);
    if (response?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  child.kill('SIGKILL');
  throw new Error(`the service was not ready within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}
