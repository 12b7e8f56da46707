import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { QueryLoadJob, QueryLoadResult } from './queryLoadGenerator.js';

// Runs the read bench's read load in a fresh generator process (queryLoadGenerator.ts).

const GENERATOR_PATH = fileURLToPath(new URL('./queryLoadGenerator.ts', import.meta.url));
/** Beyond the job's duration: process start and the last answers. */
const GRACE_MS = 60_000;

type GeneratorMessage = { type: 'ready' } | { type: 'result'; result: QueryLoadResult } | { type: 'error'; message: string };

/** A started read load: `go()` begins the schedule; `result` settles when every read is answered. */
export interface QueryLoad {
  go(): void;
  result: Promise<QueryLoadResult>;
}

/** Forks the generator and resolves once it is ready, so that it can start at the same moment as another load. */
export async function prepareQueryLoad(job: QueryLoadJob): Promise<QueryLoad> {
  const child = fork(GENERATOR_PATH, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const result = new Promise<QueryLoadResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the read load generator did not finish'));
    }, job.durationSeconds * 1000 + GRACE_MS);
    child.on('message', (message: GeneratorMessage) => {
      if (message.type === 'ready') return markReady();
      clearTimeout(timer);
      if (message.type === 'result') resolve(message.result);
      else reject(new Error(`read load: ${message.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the read load generator exited with code ${code}`));
    });
  });
  // A failure before `result` is awaited must not go unhandled.
  result.catch(() => {});
  child.send(job);
  await Promise.race([ready, result]);
  return { go: () => child.send('go'), result };
}
