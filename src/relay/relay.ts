import type pg from 'pg';
import type { Config } from '../config.js';
import { createPool } from '../db/pool.js';
import { drainBatch, type BatchOutcome, type DrainSettings } from './drainBatch.js';
import { DrainLoop, type LookCause } from './drainLoop.js';
import type { Logger } from '../logger.js';
import { NotificationListener } from './notificationListener.js';
import { Publisher, type PublisherSettings, type PublishResult } from './publisher.js';
import type { TopologyMismatchError } from './topology.js';
import { findNextDueDelay } from './sql/findNextDueDelay.js';
import { purgePublished } from './sql/purgePublished.js';
import { WakeSignal } from './wakeSignal.js';

// The outbox relay: publishes every outbox row to the exchange, at least once.
//   wake-ups (LISTEN outbox, reconnects, poll, retry timer) → WakeSignal → DrainLoop
//   → drainBatch (claim with SKIP LOCKED, publish with confirms, mark or back off) → exchange

/** The drain transaction, plus one connection for the loop's between-batch queries. */
const POOL_SIZE = 2;
const POOL_APPLICATION_NAME = 'wallet-ledger-outbox-relay';
const PURGE_BATCH_SIZE = 5_000;

export interface RelaySettings extends DrainSettings, PublisherSettings {
  databaseUrl: string;
  pollIntervalMs: number;
  /** False: no LISTEN, the poll alone finds new rows. */
  listen: boolean;
  retentionMs: number;
}

export function relaySettingsFromConfig(config: Config, databaseUrl: string): RelaySettings {
  const { outbox } = config;
  return {
    databaseUrl,
    brokerUrls: config.brokerUrls,
    exchange: config.outboxExchange,
    exchangeType: config.outboxExchangeType,
    secretKey: config.secretKey,
    batchSize: outbox.batchSize,
    maxAttempts: outbox.maxAttempts,
    backoff: { baseMs: outbox.backoffBaseMs, maxMs: outbox.backoffMaxMs },
    pollIntervalMs: outbox.pollIntervalMs,
    listen: outbox.listen,
    publishTimeoutMs: outbox.publishTimeoutMs,
    retentionMs: outbox.retentionMs,
  };
}

export interface RelayHooks {
  /** Called after every batch that claimed rows; tests and metrics watch the relay here. */
  onBatch?(outcome: BatchOutcome): void;
  /** Called once when the broker refuses the exchange (declared with other arguments): the relay stops publishing. */
  onBrokerRefused?(error: TopologyMismatchError): void;
  /** Called after each batch's publish: seconds until every message was confirmed or failed, and each result. */
  onPublished?(seconds: number, results: PublishResult[]): void;
  /** Called each time the drain loop looks again, with why. */
  onLook?(cause: LookCause): void;
  /** Called when the notification listener connects again after losing its connection. */
  onListenerReconnected?(): void;
  /** Called when the relay connects to another broker of BROKER_URL than it was connected to before. */
  onBrokerSwitched?(): void;
}

export class OutboxRelay {
  private readonly signal = new WakeSignal();
  private readonly pool: pg.Pool;
  private readonly publisher: Publisher;
  private readonly listener: NotificationListener | undefined;
  private readonly loop: DrainLoop;

  constructor(settings: RelaySettings, log: Logger, hooks: RelayHooks = {}) {
    this.pool = createPool(settings.databaseUrl, POOL_SIZE, { applicationName: POOL_APPLICATION_NAME });
    this.publisher = new Publisher(settings, log, {
      onReady: () => this.signal.wake('broker_ready'),
      onRefused: (error) => hooks.onBrokerRefused?.(error),
      onBrokerSwitched: () => hooks.onBrokerSwitched?.(),
    });
    this.listener = settings.listen
      ? new NotificationListener(settings.databaseUrl, log, (cause) => this.signal.wake(cause), hooks.onListenerReconnected)
      : undefined;
    const timedPublisher = {
      publishBatch: async (messages: Parameters<Publisher['publishBatch']>[0]) => {
        const started = performance.now();
        const results = await this.publisher.publishBatch(messages);
        hooks.onPublished?.((performance.now() - started) / 1000, results);
        return results;
      },
    };
    const steps = {
      drainBatch: () => drainBatch(this.pool, timedPublisher, settings),
      publisherReady: () => this.publisher.isReady(),
      findNextDueDelay: () => findNextDueDelay(this.pool),
      purgePublished: () => purgePublished(this.pool, settings.retentionMs, PURGE_BATCH_SIZE),
    };
    const loopSettings = { batchSize: settings.batchSize, pollIntervalMs: settings.pollIntervalMs, purgeBatchSize: PURGE_BATCH_SIZE };
    this.loop = new DrainLoop(steps, loopSettings, this.signal, log, hooks.onBatch, hooks.onLook);
  }

  /** Returns at once: the broker and the database are connected (and reconnected) in the background. */
  async start(): Promise<void> {
    await this.publisher.start();
    this.listener?.start();
    this.loop.start();
  }

  /** Finishes the batch in flight (its claims are released at its commit), then disconnects. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.listener?.stop();
    await this.publisher.close();
    await this.pool.end();
  }
}
