import { backoffDelayMs, type BackoffPolicy } from '../backoff.js';
import { classifyDatabaseError } from '../db/sqlstate.js';
import type { BatchOutcome } from './drainBatch.js';
import { describeError, type Logger } from '../logger.js';
import type { WakeCause, WakeSignal } from './wakeSignal.js';

// The relay's one loop. Every wake-up source (notification, reconnect, poll, retry timer) only
// sets the signal; this loop alone claims and publishes, so batches never race each other inside
// one relay and shutdown has exactly one batch in flight to wait for.
//
// After each drain it sleeps until the earliest of: the next wake-up, the backstop poll, the next
// scheduled retry. A missed notification therefore delays an event by at most one poll interval.

const DATABASE_RETRY_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 5_000 };
const PURGE_INTERVAL_MS = 10 * 60 * 1000;
/** The shortest sleep after a cycle that claimed nothing, so that a race cannot become a hot spin. */
const IDLE_SLEEP_MIN_MS = 10;

export interface DrainLoopSteps {
  drainBatch(): Promise<BatchOutcome>;
  publisherReady(): boolean;
  findNextDueDelay(): Promise<number | undefined>;
  purgePublished(): Promise<number>;
}

/** Why the loop looked again: a wake-up, the backstop poll, or the timer set for the next due retry. */
export type LookCause = Exclude<WakeCause, 'stop'> | 'poll' | 'timer';

export interface DrainLoopSettings {
  batchSize: number;
  pollIntervalMs: number;
  purgeBatchSize: number;
}

export class DrainLoop {
  private stopping = false;
  private running: Promise<void> | undefined;
  private failureStreak = 0;
  private nextPurgeAtMs = 0;

  constructor(
    private readonly steps: DrainLoopSteps,
    private readonly settings: DrainLoopSettings,
    private readonly signal: WakeSignal,
    private readonly log: Logger,
    private readonly onBatch: (outcome: BatchOutcome) => void = () => {},
    private readonly onLook: (cause: LookCause) => void = () => {},
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  /** Lets the batch in flight finish (publish, mark, commit: its claims are released), then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signal.wake('stop');
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const sleepMs = await this.cycle();
      if (this.stopping) return;
      const cause = await this.signal.wait(sleepMs);
      if (cause === 'timeout') this.onLook(sleepMs >= this.settings.pollIntervalMs ? 'poll' : 'timer');
      else if (cause !== 'stop') this.onLook(cause);
    }
  }

  /** Drains what is due and returns how long to sleep. Never throws: outages are waited out. */
  private async cycle(): Promise<number> {
    try {
      // While the broker is away nothing is claimed, so an outage does not burn publish attempts;
      // the publisher's reconnect wakes the loop.
      if (!this.steps.publisherReady()) return this.settings.pollIntervalMs;
      const claimed = await this.drainUntilIdle();
      await this.purgeWhenDue();
      const nextDueMs = await this.steps.findNextDueDelay();
      this.failureStreak = 0;
      const sleepMs = Math.min(this.settings.pollIntervalMs, nextDueMs ?? Infinity);
      return claimed > 0 ? sleepMs : Math.max(IDLE_SLEEP_MIN_MS, sleepMs);
    } catch (error) {
      this.failureStreak += 1;
      const retryMs = backoffDelayMs(this.failureStreak, DATABASE_RETRY_BACKOFF);
      const fields = { error: describeError(error), failure: classifyDatabaseError(error).kind, retry_in_ms: retryMs };
      this.log.warn(fields, 'outbox drain failed, retrying');
      return Math.min(this.settings.pollIntervalMs, retryMs);
    }
  }

  /** Returns how many rows it claimed in all. */
  private async drainUntilIdle(): Promise<number> {
    let claimed = 0;
    while (!this.stopping && this.steps.publisherReady()) {
      const outcome = await this.steps.drainBatch();
      claimed += outcome.claimed;
      if (outcome.claimed > 0) this.report(outcome);
      // A short batch means nothing else is due (or other relays hold it): stop until woken.
      if (outcome.claimed < this.settings.batchSize) break;
    }
    return claimed;
  }

  private report(outcome: BatchOutcome): void {
    const counts = { claimed: outcome.claimed, published: outcome.published.length, retried: outcome.retried.length };
    if (outcome.retried.length > 0) this.log.warn(counts, 'outbox batch had failed publishes');
    else this.log.debug(counts, 'outbox batch published');
    if (outcome.deadLettered.length > 0) this.log.error({ event_ids: outcome.deadLettered }, 'outbox events moved to dead_letter');
    this.onBatch(outcome);
  }

  private async purgeWhenDue(): Promise<void> {
    if (Date.now() < this.nextPurgeAtMs) return;
    const purged = await this.steps.purgePublished();
    if (purged > 0) this.log.info({ purged }, 'purged published outbox events');
    // A full purge batch means more are waiting: continue on the next cycle instead of in one burst.
    this.nextPurgeAtMs = purged >= this.settings.purgeBatchSize ? 0 : Date.now() + PURGE_INTERVAL_MS;
  }
}
