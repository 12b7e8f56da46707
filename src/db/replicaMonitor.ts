import pg from 'pg';
import type { Logger } from 'pino';
import { backoffDelayMs, type BackoffPolicy } from '../backoff.js';
import { withTimeout } from '../timeouts.js';
import { walPositionOf, type WalPosition } from './walPosition.js';

// How far a streaming replica has caught up, from samples on connections of its own (never a query
// per request): the primary's WAL insert position and the replica's replay position, every
// SAMPLE_INTERVAL_MS each. A primary position sampled at time t is past every commit acknowledged
// before t; once the replica has replayed that far, it holds all of them. Staleness is the time
// since the newest such t: unlike now() - pg_last_xact_replay_timestamp(), it stays small while
// the primary is idle. A replica that errors is unavailable until a sample succeeds again.

const SAMPLE_INTERVAL_MS = 100;
/** While a read waits for a position, the replica is asked this often instead (one query serves every waiter). */
const WAIT_POLL_INTERVAL_MS = 5;
/** A sample (connecting included) that takes longer counts as a failure. */
const SAMPLE_TIMEOUT_MS = 1_000;
const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 5_000 };
/** Primary samples the replica has not replayed yet; past this, the oldest are forgotten (staleness only grows). */
const UNREPLAYED_SAMPLES_MAX = 1_000;
/** Reads waiting for a position at once; past this, a read goes to the primary without waiting. */
const WAITERS_MAX = 10_000;

interface PrimarySample {
  position: WalPosition;
  sentAtMs: number;
}

interface Waiter {
  position: WalPosition;
  settle(replayed: boolean): void;
}

export class ReplicaMonitor {
  private replayed: WalPosition | undefined;
  /** The replica holds every commit acknowledged before this instant (undefined: not known). */
  private freshAsOfMs: number | undefined;
  private readonly unreplayed: PrimarySample[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly primaryLoop: SamplingLoop;
  private readonly replicaLoop: SamplingLoop;

  constructor(primaryUrl: string, replicaUrl: string, private readonly logger: Logger) {
    this.primaryLoop = new SamplingLoop(primaryUrl, 'wallet-ledger-lag-primary', {
      sample: (client) => this.samplePrimary(client),
      intervalMs: () => SAMPLE_INTERVAL_MS,
      failed: (error) => logger.warn({ err: error }, 'sampling the primary WAL position failed'),
    });
    this.replicaLoop = new SamplingLoop(replicaUrl, 'wallet-ledger-lag-replica', {
      sample: (client) => this.sampleReplica(client),
      intervalMs: () => (this.waiters.size > 0 ? WAIT_POLL_INTERVAL_MS : SAMPLE_INTERVAL_MS),
      failed: (error) => {
        if (this.replayed !== undefined) logger.warn({ err: error }, 'read replica unavailable: reads go to the primary');
        this.markUnavailable();
      },
    });
  }

  start(): void {
    this.primaryLoop.start();
    this.replicaLoop.start();
  }

  async stop(): Promise<void> {
    this.markUnavailable();
    await Promise.all([this.primaryLoop.stop(), this.replicaLoop.stop()]);
  }

  /** How stale a read on the replica may be, in ms; Infinity while unavailable or not sampled yet. */
  stalenessMs(nowMs = Date.now()): number {
    if (this.replayed === undefined || this.freshAsOfMs === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(0, nowMs - this.freshAsOfMs);
  }

  /** True once the replica has replayed up to `position`; false when it is unavailable or `timeoutMs` passes first. */
  waitForReplay(position: WalPosition, timeoutMs: number): Promise<boolean> {
    if (this.replayed === undefined) return Promise.resolve(false);
    if (position <= this.replayed) return Promise.resolve(true);
    if (this.waiters.size >= WAITERS_MAX || timeoutMs === 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => waiter.settle(false), timeoutMs);
      const waiter: Waiter = {
        position,
        settle: (replayed) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(replayed);
        },
      };
      this.waiters.add(waiter);
      this.replicaLoop.hurry();
    });
  }

  /** A read on the replica failed as a lost connection would: unavailable until a sample succeeds. */
  markUnavailable(): void {
    this.replayed = undefined;
    this.freshAsOfMs = undefined;
    for (const waiter of this.waiters) waiter.settle(false);
  }

  private async samplePrimary(client: pg.Client): Promise<void> {
    const sentAtMs = Date.now();
    const { rows } = await client.query<{ position: string }>('SELECT pg_current_wal_insert_lsn()::text AS position');
    const position = walPositionOf(rows[0]!.position);
    if (this.replayed !== undefined && position <= this.replayed) {
      this.freshAsOfMs = sentAtMs;
      return;
    }
    this.unreplayed.push({ position, sentAtMs });
    if (this.unreplayed.length > UNREPLAYED_SAMPLES_MAX) this.unreplayed.shift();
  }

  private async sampleReplica(client: pg.Client): Promise<void> {
    const { rows } = await client.query<{ replayed: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS replayed');
    // No replay position: the server is not a standby (promoted, or misconfigured), so it follows nothing.
    if (rows[0]!.replayed === null) throw new Error('DATABASE_READ_URL is not a standby: pg_last_wal_replay_lsn() is null');
    const replayed = walPositionOf(rows[0]!.replayed);
    if (this.replayed === undefined) this.logger.info('read replica available');
    this.replayed = replayed;
    while (this.unreplayed.length > 0 && this.unreplayed[0]!.position <= replayed) this.freshAsOfMs = this.unreplayed.shift()!.sentAtMs;
    for (const waiter of this.waiters) if (waiter.position <= replayed) waiter.settle(true);
  }
}

interface SamplingTask {
  sample(client: pg.Client): Promise<void>;
  intervalMs(): number;
  failed(error: unknown): void;
}

/** Runs `sample` on one connection of its own, again and again; after a failure, reconnects with backoff. */
class SamplingLoop {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;

  constructor(private readonly url: string, private readonly applicationName: string, private readonly task: SamplingTask) {}

  start(): void {
    this.schedule(0);
  }

  /** Samples now rather than at the planned time, unless a sample is running or the loop backs off. */
  hurry(): void {
    if (this.timer === undefined || this.running !== undefined || this.failures > 0) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.client?.end().catch(() => {});
    this.client = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    let nextDelayMs: number;
    try {
      await withTimeout(this.sampleOnce(), SAMPLE_TIMEOUT_MS);
      this.failures = 0;
      nextDelayMs = this.task.intervalMs();
    } catch (error) {
      this.failures += 1;
      const broken = this.client;
      this.client = undefined;
      void broken?.end().catch(() => {});
      if (!this.stopped) this.task.failed(error);
      nextDelayMs = backoffDelayMs(this.failures, RECONNECT_BACKOFF);
    }
    if (!this.stopped) this.schedule(nextDelayMs);
  }

  private async sampleOnce(): Promise<void> {
    if (this.client === undefined) {
      const client = await connect(this.url, this.applicationName);
      // Connected after a timeout gave up on it, or after stop(): nobody would end it.
      if (this.stopped || this.client !== undefined) return void (await client.end().catch(() => {}));
      this.client = client;
    }
    await this.task.sample(this.client);
  }
}

async function connect(url: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: SAMPLE_TIMEOUT_MS,
    statement_timeout: SAMPLE_TIMEOUT_MS,
  });
  // A connection lost between samples emits 'error'; the next sample's query fails and reconnects.
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
}
