import { setTimeout as sleep } from 'node:timers/promises';

// One way to stop waiting for something that may never answer: the work goes on, its waiter
// does not. The timer is cancelled once the race is decided, so none outlives it.

export class TimeoutError extends Error {}

/** The work's result, or a TimeoutError when it takes longer than `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  const decided = new AbortController();
  const timeout = sleep(ms, undefined, { signal: decided.signal }).then(() => {
    throw new TimeoutError(`no answer within ${ms} ms`);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    decided.abort();
  }
}
