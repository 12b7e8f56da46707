import type pg from 'pg';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { purgeExpiredIdempotencyKeys } from './sql/purgeExpiredIdempotencyKeys.js';

// Expired idempotency keys are deleted in small slices so that the purge never holds many locks.

const PURGE_INTERVAL_MS = 60_000;
const PURGE_SLICE_ROWS = 1_000;
const PURGE_SLICES_MAX = 100;

export async function purgeExpiredKeys(pool: pg.Pool, now: Date): Promise<number> {
  let purged = 0;
  for (let slice = 0; slice < PURGE_SLICES_MAX; slice++) {
    const deleted = await purgeExpiredIdempotencyKeys(pool, now, PURGE_SLICE_ROWS);
    purged += deleted;
    if (deleted < PURGE_SLICE_ROWS) break;
  }
  return purged;
}

/** Purges now and then every minute; returns the function that stops it. */
export function startIdempotencyPurge(pool: pg.Pool, clock: Clock, logger: Logger): () => void {
  const run = () =>
    purgeExpiredKeys(pool, clock.now()).catch((error: unknown) => logger.warn({ err: error }, 'idempotency key purge failed'));
  const timer = setInterval(run, PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
