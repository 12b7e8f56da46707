import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadResult, LoadTick } from './loadGenerator.js';
import { Progress } from './progress.js';

// Runs one load job in a fresh load-generator process and shows its progress.

const GENERATOR_PATH = fileURLToPath(new URL('./loadGenerator.ts', import.meta.url));
const PAUSE_PROBE_PATH = fileURLToPath(new URL('./pauseProbe.ts', import.meta.url));
/** Beyond the job's duration: process start, connection set-up and the last answers. */
const GRACE_MS = 60_000;

type GeneratorMessage =
  | { type: 'ready' }
  | LoadTick
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string };

/**
 * Starts a load generator, calls `beforeLoad` with its pid once it is ready (to start measuring),
 * then lets the load begin; resolves with the generator's result.
 */
export async function runLoad(job: LoadJob, label: string, beforeLoad: (pid: number) => Promise<void>): Promise<LoadResult> {
  // At a fixed rate a stall matters: an idle probe beside the load tells the machine's pauses apart.
  const probe = job.overallRate ? await startPauseProbe() : undefined;
  const child = fork(GENERATOR_PATH, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const progress = new Progress(label, job.durationSeconds);
  const result = new Promise<LoadResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label}: the load generator did not finish`));
    }, job.durationSeconds * 1000 + GRACE_MS);
    child.on('message', (message: GeneratorMessage) => {
      if (message.type === 'ready') void beforeLoad(child.pid!).then(() => child.send('go'), reject);
      else if (message.type === 'tick') progress.update(message.second, message.succeeded, message.failed);
      else if (message.type === 'result') {
        clearTimeout(timer);
        const failures = message.result.non2xx + message.result.errors + message.result.timeouts;
        progress.finish(`${message.result.requestsPerSecond.toLocaleString('en-US')} req/s${failures ? `, ${failures} FAILED` : ''}`);
        resolve(message.result);
      } else {
        clearTimeout(timer);
        reject(new Error(`${label}: ${message.message}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label}: the load generator exited with code ${code}`));
    });
  });
  child.send(job);
  try {
    const loadResult = await result;
    const idleProbeMaxDelayMs = await probe?.maxDelayMs();
    return idleProbeMaxDelayMs === undefined ? loadResult : { ...loadResult, idleProbeMaxDelayMs };
  } finally {
    probe?.stop();
  }
}

interface PauseProbe {
  /** Its longest delay so far; undefined if the probe died (the figure is then left out). */
  maxDelayMs(): Promise<number | undefined>;
  stop(): void;
}

async function startPauseProbe(): Promise<PauseProbe> {
  const child = fork(PAUSE_PROBE_PATH, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<undefined>((resolve) => child.once('exit', () => resolve(undefined)));
  const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
  if ((await Promise.race([ready, exited.then(() => 'exited' as const)])) === 'exited') {
    throw new Error('the pause probe exited before it was ready');
  }
  return {
    maxDelayMs: () => {
      const answer = new Promise<number>((resolve) => child.once('message', (message: { maxDelayMs: number }) => resolve(message.maxDelayMs)));
      child.send('report');
      return Promise.race([answer, exited]);
    },
    stop: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}
