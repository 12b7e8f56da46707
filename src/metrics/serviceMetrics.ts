import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { noBatchesYet, type BatchCounters } from '../ledger/batchCounters.js';
import { PlainHistogram } from './plainHistogram.js';
import { registerProcessMetrics } from './processMetrics.js';
import { TalliedCounter } from './talliedCounter.js';

// Every metric the service process exports (docs/observability.md says what each means). Labels
// stay few and bounded: a route is its pattern, never its URL; a partition is its number.

/** Seconds: from a cached replay's fraction of a millisecond to a request that waited on a stalled database. */
const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Operations per batch, up to BATCH_MAX's largest setting. */
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 5000];

export class ServiceMetrics {
  readonly registry = new Registry();
  // The metrics a request touches are counted without prom-client's per-call label hashing
  // (plainHistogram.ts, talliedCounter.ts); the rest change once a batch or at a scrape.
  readonly httpRequestDuration = new PlainHistogram<'route' | 'method' | 'status_code'>(
    'wallet_ledger_http_request_duration_seconds',
    'HTTP requests by route pattern, method and status, and how long each took to answer',
    LATENCY_BUCKETS_S,
  );
  readonly writeOutcomes = new TalliedCounter({
    name: 'wallet_ledger_write_outcomes_total',
    help: 'Answers to writes by route and outcome: created, ok, or the problem code',
    labelNames: ['route', 'outcome'],
    registers: [this.registry],
  });
  readonly idempotentReplays = new TalliedCounter({
    name: 'wallet_ledger_idempotent_replays_total',
    help: 'Writes answered with the stored response of an earlier request with the same Idempotency-Key',
    labelNames: ['route'],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'wallet_ledger_batch_size',
    help: 'Operations per batch a partition committed in one database transaction',
    labelNames: ['partition'],
    buckets: BATCH_SIZE_BUCKETS,
    registers: [this.registry],
  });
  readonly batchCommitSeconds = new Histogram({
    name: 'wallet_ledger_batch_commit_seconds',
    help: 'Time from handing a batch to its writer to having every answer, retries included',
    labelNames: ['partition'],
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: 'wallet_ledger_batches_total',
    help: 'Batches committed, by partition and by round trips: one (planned against remembered rows) or two (locked and read first)',
    labelNames: ['partition', 'round_trips'],
    registers: [this.registry],
  });
  readonly batchRetries = new Counter({
    name: 'wallet_ledger_batch_retries_total',
    help: 'Whole-batch attempts repeated after a transient database failure',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly batchSplits = new Counter({
    name: 'wallet_ledger_batch_splits_total',
    help: 'Batches halved to isolate an operation that failed with an unexpected error',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly readsServed = new TalliedCounter({
    name: 'wallet_ledger_reads_total',
    help: 'GET requests under /v1 by the database that answered them: replica (DATABASE_READ_URL) or primary',
    labelNames: ['source'],
    registers: [this.registry],
  });
  /** The counters each partition reported last: the metrics add what grew since. */
  private readonly lastCounters = new Map<number, BatchCounters>();
  private queueDepths: () => number[] = () => [];
  private replicaStalenessMs: () => number = () => Number.POSITIVE_INFINITY;
  private readonly queueMax = new Gauge({
    name: 'wallet_ledger_partition_queue_max',
    help: 'QUEUE_MAX: operations a partition queues before answering 503 overloaded',
    registers: [this.registry],
  });

  /**
   * `pool`: the HTTP process's pool, read when Prometheus scrapes; `isReady`: what /readyz answers,
   * asked at each scrape (one small query), so that an alert can see readiness without probing.
   */
  constructor(pool: pg.Pool, isReady: () => Promise<boolean>) {
    const metrics = this;
    new Gauge({
      name: 'wallet_ledger_ready',
      help: '1 when the service is ready (database reachable, schema at the newest migration), as /readyz answers; 0 otherwise',
      registers: [this.registry],
      async collect() {
        this.set((await isReady()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'wallet_ledger_partition_queue_depth',
      help: 'Operations waiting in a partition queue for the next batch (QUEUE_MAX answers 503 overloaded past it)',
      labelNames: ['partition'],
      registers: [this.registry],
      collect() {
        for (const [partition, depth] of metrics.queueDepths().entries()) this.set({ partition: String(partition) }, depth);
      },
    });
    new Gauge({
      name: 'wallet_ledger_db_pool_connections',
      help: 'Connections of the HTTP process pool (reads, and inline partitions), in use or idle',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
        this.set({ state: 'idle' }, pool.idleCount);
      },
    });
    new Gauge({
      name: 'wallet_ledger_db_pool_waiting',
      help: 'Requests waiting for a connection of the HTTP process pool',
      registers: [this.registry],
      collect() {
        this.set(pool.waitingCount);
      },
    });
    new Gauge({
      name: 'wallet_ledger_read_replica_staleness_seconds',
      help: 'How stale a read on the replica may be: time since the newest primary WAL position it has replayed was sampled (+Inf while unavailable or unset)',
      registers: [this.registry],
      collect() {
        this.set(metrics.replicaStalenessMs() / 1000);
      },
    });
    registerProcessMetrics(this.registry);
  }

  /** Everything exported, in Prometheus's text format. */
  async exposition(): Promise<string> {
    return `${await this.registry.metrics()}\n${this.httpRequestDuration.render()}`;
  }

  /** The replica's staleness is read from `source` at each scrape (only with DATABASE_READ_URL). */
  readReplicaStalenessFrom(source: () => number): void {
    this.replicaStalenessMs = source;
  }

  /** The partitions' queue depths are read from `source` at each scrape; each holds at most `queueMax`. */
  readQueueDepthsFrom(source: () => number[], queueMax: number): void {
    this.queueDepths = source;
    this.queueMax.set(queueMax);
  }

  batchCommitted(partition: number, size: number, seconds: number): void {
    const labels = { partition: String(partition) };
    this.batchSize.observe(labels, size);
    this.batchCommitSeconds.observe(labels, seconds);
  }

  countersReported(partition: number, counters: BatchCounters): void {
    const last = this.lastCounters.get(partition) ?? noBatchesYet();
    const labels = { partition: String(partition) };
    addGrowth(this.batches, { ...labels, round_trips: 'one' }, counters.oneRoundTrip - last.oneRoundTrip);
    addGrowth(this.batches, { ...labels, round_trips: 'two' }, counters.twoRoundTrips - last.twoRoundTrips);
    addGrowth(this.batchRetries, labels, counters.retries - last.retries);
    addGrowth(this.batchSplits, labels, counters.splits - last.splits);
    this.lastCounters.set(partition, counters);
  }
}

function addGrowth<Label extends string>(counter: Counter<Label>, labels: Partial<Record<Label, string>>, growth: number): void {
  if (growth > 0) counter.inc(labels, growth);
}
