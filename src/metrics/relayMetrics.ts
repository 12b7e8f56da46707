import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerProcessMetrics } from './processMetrics.js';
import type { Logger } from '../logger.js';
import { describeError } from '../logger.js';
import type { BatchOutcome } from '../relay/drainBatch.js';
import type { LookCause } from '../relay/drainLoop.js';
import type { PublishResult } from '../relay/publisher.js';
import type { RelayHooks } from '../relay/relay.js';
import { readOutboxState } from '../relay/sql/readOutboxState.js';

// Every metric the relay process exports (docs/observability.md says what each means). The
// outbox's backlog, its oldest event's age and the dead letters are read from the database on a
// timer, so a scrape never runs a query, however often Prometheus comes.

const OUTBOX_SAMPLE_INTERVAL_MS = 5_000;
/** Seconds from handing a batch to the broker to its last confirm. */
const PUBLISH_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class RelayMetrics {
  readonly registry = new Registry();
  private readonly published = new Counter({
    name: 'wallet_ledger_relay_events_published_total',
    help: 'Events the broker confirmed and the relay marked published',
    registers: [this.registry],
  });
  private readonly publishSeconds = new Histogram({
    name: 'wallet_ledger_relay_publish_seconds',
    help: 'Time from handing a batch of events to the broker until every one was confirmed or failed',
    buckets: PUBLISH_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly publishFailures = new Counter({
    name: 'wallet_ledger_relay_publish_failures_total',
    help: 'Events whose publish failed, by reason: not_connected, blocked, confirm_timeout, nacked, send_failed',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly deadLettered = new Counter({
    name: 'wallet_ledger_relay_dead_lettered_total',
    help: 'Events this relay moved to dead_letter after their last attempt',
    registers: [this.registry],
  });
  private readonly looks = new Counter({
    name: 'wallet_ledger_relay_wakeups_total',
    help: 'Times the relay looked for events, by cause: notify, listener_connected, broker_ready, poll, timer',
    labelNames: ['cause'],
    registers: [this.registry],
  });
  private readonly listenerReconnects = new Counter({
    name: 'wallet_ledger_relay_listener_reconnects_total',
    help: 'Times the LISTEN connection came back after being lost',
    registers: [this.registry],
  });
  private readonly brokerSwitches = new Counter({
    name: 'wallet_ledger_relay_broker_switches_total',
    help: 'Times the relay connected to another broker of BROKER_URL than before (a cluster node lost or unreachable)',
    registers: [this.registry],
  });
  private readonly backlog = new Gauge({
    name: 'wallet_ledger_outbox_backlog',
    help: 'Events in the outbox not yet published (sampled every 5 s)',
    registers: [this.registry],
  });
  private readonly oldestAge = new Gauge({
    name: 'wallet_ledger_outbox_oldest_age_seconds',
    help: 'Age of the oldest unpublished event, 0 when none (sampled every 5 s)',
    registers: [this.registry],
  });
  private readonly deadLetters = new Gauge({
    name: 'wallet_ledger_outbox_dead_letters',
    help: 'Events in the dead_letter table, waiting for a replay (sampled every 5 s)',
    registers: [this.registry],
  });
  private readonly sampledAt = new Gauge({
    name: 'wallet_ledger_outbox_sampled_timestamp_seconds',
    help: 'When the outbox gauges were last read successfully (Unix time): a stale value means they are stale',
    registers: [this.registry],
  });
  private sampler: NodeJS.Timeout | undefined;

  constructor() {
    registerProcessMetrics(this.registry);
  }

  /** Everything exported, in Prometheus's text format. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  /** What the relay tells the metrics, as its hooks. */
  hooks(): Required<Pick<RelayHooks, 'onBatch' | 'onPublished' | 'onLook' | 'onListenerReconnected' | 'onBrokerSwitched'>> {
    return {
      onBatch: (outcome: BatchOutcome) => {
        this.published.inc(outcome.published.length);
        this.deadLettered.inc(outcome.deadLettered.length);
      },
      onPublished: (seconds: number, results: PublishResult[]) => {
        this.publishSeconds.observe(seconds);
        for (const result of results) if (!result.ok) this.publishFailures.inc({ reason: result.reason });
      },
      onLook: (cause: LookCause) => this.looks.inc({ cause }),
      onListenerReconnected: () => this.listenerReconnects.inc(),
      onBrokerSwitched: () => this.brokerSwitches.inc(),
    };
  }

  /** Reads the outbox's state now and every few seconds, on `pool`, until stopSampling(). */
  async startSampling(pool: pg.Pool, log: Logger): Promise<void> {
    const sample = async () => {
      try {
        const state = await readOutboxState(pool);
        this.backlog.set(state.backlog);
        this.oldestAge.set(state.oldestAgeSeconds);
        this.deadLetters.set(state.deadLetters);
        this.sampledAt.set(Date.now() / 1000);
      } catch (error) {
        log.warn({ error: describeError(error) }, 'could not read the outbox state for the metrics');
      }
    };
    await sample();
    this.sampler = setInterval(() => void sample(), OUTBOX_SAMPLE_INTERVAL_MS);
    this.sampler.unref();
  }

  stopSampling(): void {
    clearInterval(this.sampler);
  }
}
