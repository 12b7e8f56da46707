import { startNodeProcess } from './nodeProcess.js';

// One outbox relay under test, started as its own process from the built dist/ (what
// `npm run outbox-worker` runs), so that its CPU is its own.

const RELAY_ENTRY = 'dist/src/main/outboxWorker.js';
/** Signed as in production, where SECRET_KEY is required: the HMAC is part of the relay's cost. */
const BENCH_SECRET_KEY = 'bench-relay-secret-key-0123456789abcdef';

export interface RelayProcess {
  pid: number;
  output(): string;
  /** SIGTERM (the relay finishes its batch in flight), then waits; returns the exit code. */
  stop(): Promise<number | null>;
}

export function startRelayProcess(environment: Record<string, string>): RelayProcess {
  // Metrics on, as deployed, each relay on a free port of its own: two relays run at once.
  const { pid, output, stop } = startNodeProcess(RELAY_ENTRY, { SECRET_KEY: BENCH_SECRET_KEY, RELAY_METRICS_PORT: '0', ...environment });
  return { pid, output, stop };
}
