import { spawn } from 'node:child_process';

// One outbox relay under test, started as its own process from the built dist/ (what
// `npm run outbox-worker` runs), so that its CPU is its own.

const RELAY_ENTRY = 'dist/src/main/outboxWorker.js';
const STOP_TIMEOUT_MS = 20_000;
const OUTPUT_KEPT_CHARS = 4_000;
/** Signed as in production, where SECRET_KEY is required: the HMAC is part of the relay's cost. */
const BENCH_SECRET_KEY = 'bench-relay-secret-key-0123456789abcdef';

export interface RelayProcess {
  pid: number;
  output(): string;
  /** SIGTERM (the relay finishes its batch in flight), then waits; returns the exit code. */
  stop(): Promise<number | null>;
}

export function startRelayProcess(environment: Record<string, string>): RelayProcess {
  const child = spawn(process.execPath, [RELAY_ENTRY], {
    env: { PATH: process.env.PATH, ENVIRONMENT: 'development', SECRET_KEY: BENCH_SECRET_KEY, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_KEPT_CHARS));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid: child.pid!,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
