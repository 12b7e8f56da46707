import type pg from 'pg';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { LedgerWriter } from './ledgerWriter.js';
import { readDueHolds } from './sql/readDueHolds.js';

// Expires pending holds past their expires_at, through the same single writers as every other
// write (an expire_hold operation routed by the hold's source account), so that an expiry and a
// capture of one hold are decided one after the other. A hold that is no longer pending when its
// expiry is decided is left as it is: two replicas sweeping at once is harmless.

/** Holds expired per read; a full read is followed by another at once. */
const DUE_HOLDS_PER_SWEEP_MAX = 500;

export interface HoldExpirySweep {
  /** Expires what is due now; resolves with how many due holds it found. */
  sweepNow(): Promise<number>;
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

export function startHoldExpirySweep(
  pool: pg.Pool,
  writer: LedgerWriter<unknown>,
  clock: Clock,
  intervalMs: number,
  logger: Logger,
): HoldExpirySweep {
  let running: Promise<number> | undefined;
  let stopped = false;

  async function sweepOnce(): Promise<number> {
    let found = 0;
    for (;;) {
      const due = await readDueHolds(pool, clock.now(), DUE_HOLDS_PER_SWEEP_MAX);
      found += due.length;
      await Promise.all(due.map((hold) => writer.submit({
        kind: 'expire_hold',
        holdId: hold.id,
        sourceAccountId: hold.source_account_id,
        destinationAccountId: hold.destination_account_id,
        idempotency: undefined,
      })));
      if (due.length < DUE_HOLDS_PER_SWEEP_MAX || stopped) return found;
    }
  }

  function sweepNow(): Promise<number> {
    running ??= sweepOnce().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => {
    sweepNow().catch((error: unknown) => logger.warn({ err: error }, 'hold expiry sweep failed'));
  }, intervalMs);
  timer.unref();

  return {
    sweepNow,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
