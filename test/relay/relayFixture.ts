import { randomBytes } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type ConsumeMessage, type RecoveringChannelModel } from 'amqplib';
import type pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import { newId } from '../../src/ids.js';
import { commitAndRespond } from '../../partitions/commitAndRespond.js';
import { buildEvent, type LedgerEventType } from '../../src/ledger/events.js';
import { createLedgerContext } from '../../src/ledger/ledgerContext.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import { createLogger, silentLogger, type Logger } from '../../src/logger.js';
import { OutboxRelay, relaySettingsFromConfig, type RelayHooks, type RelaySettings } from '../../src/relay/relay.js';
import { declareTopology } from '../../src/relay/topology.js';
import { brokerUrl, type TestDatabase } from '../support/database.js';
import { planSettings } from '../support/ledgerSettings.js';
import { EVENT_SUBJECT_SQL } from '../support/outboxEvents.js';
import { waitFor as waitUntil } from '../support/waitFor.js';

// Shared helpers for the relay tests: relay settings from environment-style variables (the same
// ones a child-process worker gets), outbox rows shaped like the write path's, and a queue that
// collects what the relay published.

export const ROUTING_KEY_PREFIX = 'ledger';
/** Every relay test finishes well within this, even on a slow CI machine; a hang fails instead of stalling the run. */
export const TEST_TIMEOUT_MS = 120_000;
export const TEST_SECRET_KEY = 'relay-test-secret-key-0123456789abcdef';

/** Environment for a relay on this test's database, with its own exchange so test files never share one. */
export function relayEnvironment(database: TestDatabase, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ENVIRONMENT: 'test',
    DATABASE_URL: database.url,
    BROKER_URL: brokerUrl(),
    OUTBOX_EXCHANGE: `test.${randomBytes(4).toString('hex')}.events`,
    OUTBOX_ROUTING_KEY_PREFIX: ROUTING_KEY_PREFIX,
    SECRET_KEY: TEST_SECRET_KEY,
    LOG_LEVEL: process.env.TEST_RELAY_LOG_LEVEL ?? 'silent',
    ...overrides,
  };
}

export function settingsFrom(environment: Record<string, string>): RelaySettings {
  const config = loadConfig(environment);
  return relaySettingsFromConfig(config, config.databaseUrl!);
}

export function testLogger(name: string): Logger {
  const level = process.env.TEST_RELAY_LOG_LEVEL;
  return level ? createLogger(level, name, process.stderr) : silentLogger;
}

export async function startRelay(settings: RelaySettings, hooks: RelayHooks = {}, name = 'relay'): Promise<OutboxRelay> {
  const relay = new OutboxRelay(settings, testLogger(name), hooks);
  await relay.start();
  return relay;
}

/** Inserts events in one statement, as the write path does (so one NOTIFY per call); returns their ids. */
export async function insertEvents(pool: pg.Pool, count: number, eventType: LedgerEventType = 'deposit.posted'): Promise<string[]> {
  const now = new Date();
  const events = Array.from({ length: count }, (_, index) =>
    buildEvent(eventType, randomBytes(8).toString('hex'), { test_index: index }, now, ROUTING_KEY_PREFIX),
  );
  await pool.query(
    `INSERT INTO outbox (event_id, event_type, routing_key, payload, created_at)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[])`,
    [
      events.map((event) => event.eventId),
      events.map((event) => event.eventType),
      events.map((event) => event.routingKey),
      events.map((event) => JSON.stringify(event.payload)),
      events.map((event) => event.createdAt),
    ],
  );
  return events.map((event) => event.eventId);
}

/**
 * Events the write path itself stores, through the ledger: two accounts opened (account.created,
 * stored with their data), one deposit and `count` withdrawals (stored as the transaction's id,
 * rendered by the relay). Returns their event ids by type.
 */
export async function postLedgerEvents(pool: pg.Pool, count: number): Promise<Record<'opened' | 'deposited' | 'withdrawn' | 'held', string[]>> {
  const context = createLedgerContext(pool, systemClock, planSettings(60_000, ROUTING_KEY_PREFIX), pino({ level: 'silent' }));
  const wallet = newId();
  const claim = () => ({ key: newId(), fingerprint: 'relay-test' });
  const posting = { currency: undefined, description: 'relay test', metadata: { note: 'rendered by the relay' } };
  const opened = await commitAndRespond(context, [
    { kind: 'open_account', accountId: wallet, currency: 'USD', externalRef: null, metadata: {}, idempotency: undefined },
  ]);
  const operations: LedgerOperation[] = [
    { kind: 'deposit', accountId: wallet, amount: BigInt(2 * count), ...posting, idempotency: claim() },
    ...Array.from({ length: count }, (): LedgerOperation => ({ kind: 'withdrawal', accountId: wallet, amount: 1n, ...posting, idempotency: claim() })),
    ...Array.from({ length: count }, (): LedgerOperation => ({
      kind: 'create_hold', holdId: newId(), sourceAccountId: wallet, destinationAccountId: null, amount: 1n, currency: undefined,
      expiresAt: new Date(Date.now() + 3_600_000), description: 'relay test', metadata: { note: 'rendered by the relay' }, idempotency: claim(),
    })),
  ];
  const results = [...opened, ...(await commitAndRespond(context, operations))];
  if (!results.every((result) => result.statusCode === 201)) throw new Error(`the ledger refused a test posting: ${results.map((r) => r.body).join()}`);
  const subjects = results.map((result) => (JSON.parse(result.body) as { id: string }).id);
  const events = await pool.query<{ event_id: string; event_type: string }>(
    `SELECT event_id::text, event_type FROM outbox WHERE ${EVENT_SUBJECT_SQL} = ANY($1::text[]) ORDER BY id`,
    [subjects],
  );
  const ofType = (type: string) => events.rows.filter((row) => row.event_type === type).map((row) => row.event_id);
  return { opened: ofType('account.created'), deposited: ofType('deposit.posted'), withdrawn: ofType('withdrawal.posted'), held: ofType('hold.created') };
}

const RELAY_POLL_MS = 20;

/** Polls `condition` every RELAY_POLL_MS until it holds; throws after `timeoutMs`. */
export async function waitFor(description: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  await waitUntil(description, condition, timeoutMs, RELAY_POLL_MS);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A durable queue bound to the relay's exchange that records every message it receives. Its
 * connection recovers by itself, so it keeps collecting across a broker restart.
 */
export class QueueCollector {
  private constructor(
    private readonly connection: RecoveringChannelModel,
    readonly queue: string,
    /** Every message received, in arrival order, duplicates included. */
    readonly messages: ConsumeMessage[],
  ) {}

  static async start(url: string, settings: RelaySettings, bindingKeys: string[]): Promise<QueueCollector> {
    const queue = `${settings.exchange}.collector.${randomBytes(3).toString('hex')}`;
    const received: ConsumeMessage[] = [];
    const connection = await connect(url, {
      recovery: {
        initialDelay: 200,
        maxDelay: 1_000,
        setup: async (model: ChannelModel) => {
          const channel = await model.createChannel();
          await declareTopology(model, settings);
          await channel.assertQueue(queue, { durable: true });
          for (const key of bindingKeys) await channel.bindQueue(queue, settings.exchange, key);
          await channel.consume(queue, (message) => {
            if (!message) return;
            received.push(message);
            channel.ack(message);
          });
        },
      },
    });
    connection.on('error', () => {});
    return new QueueCollector(connection, queue, received);
  }

  eventIds(): string[] {
    return this.messages.map((message) => String(message.properties.messageId));
  }

  uniqueEventIds(): Set<string> {
    return new Set(this.eventIds());
  }

  hasAll(eventIds: string[]): boolean {
    const seen = this.uniqueEventIds();
    return eventIds.every((id) => seen.has(id));
  }

  /** Runs `work` on a short-lived channel of the collector's connection (bindings, queue checks). */
  async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await this.connection.createChannel();
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.withChannel((channel) => channel.deleteQueue(this.queue)).catch(() => {});
    await this.connection.close();
  }
}

/** Rows of the outbox that are not published yet. */
export async function countUnpublished(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL');
  return result.rows[0]!.count;
}

/** Terminates this database's sessions whose application_name matches `pattern` (LIKE); returns how many. */
export async function terminateSessions(pool: pg.Pool, pattern: string): Promise<number> {
  const result = await pool.query<{ terminated: boolean }>(
    `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
     WHERE datname = current_database() AND application_name LIKE $1`,
    [pattern],
  );
  return result.rows.filter((row) => row.terminated).length;
}
