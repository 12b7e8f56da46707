import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import { PROJECT_ROOT } from '../../src/paths.js';
import { declareTopology, unroutedName } from '../../src/relay/topology.js';
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js';

// The bank test's system under test, as it runs in production: two service processes and two
// outbox relays (child processes) on one database, publishing to one exchange, and a consumer with
// its own durable queue bound to that exchange that records every event it receives.

export const SERVICE_COUNT = 2;
export const RELAY_COUNT = 2;
const ROUTING_KEY_PREFIX = 'ledger';
const RELAY_ENVIRONMENT = {
  ENVIRONMENT: 'test',
  LOG_LEVEL: 'warn',
  OUTBOX_ROUTING_KEY_PREFIX: ROUTING_KEY_PREFIX,
  OUTBOX_BATCH_SIZE: '200',
  OUTBOX_POLL_INTERVAL_MS: '1000',
  OUTBOX_PUBLISH_TIMEOUT_MS: '3000',
  // A publish that failed during an outage is retried within seconds of the outage's end.
  OUTBOX_BACKOFF_BASE_MS: '200',
  OUTBOX_BACKOFF_MAX_MS: '2000',
  OUTBOX_MAX_ATTEMPTS: '50',
};
const SERVICE_ENVIRONMENT = { PARTITIONS: '2', DATABASE_POOL_MAX: '10' };

export interface BankClusterOptions {
  databaseUrl: string;
  brokerUrl: string;
  /** Per relay, the database URL it connects with (default: databaseUrl); lets a test tell relays apart in pg_stat_activity. */
  relayDatabaseUrls?: string[];
}

export interface RelayProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

/** A process that ended without the test ending it: a crash. */
export interface UnexpectedExit {
  process: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

const OUTPUT_TAIL_CHARS = 4_000;

export class BankCluster {
  /** Processes the test itself killed (SIGKILL), which are not crashes. */
  private readonly killed = new Set<ChildProcess>();

  private constructor(
    private readonly options: BankClusterOptions,
    readonly exchange: string,
    readonly services: ServerProcess[],
    readonly relays: RelayProcess[],
    readonly events: EventCollector,
  ) {}

  static async start(options: BankClusterOptions): Promise<BankCluster> {
    const exchange = `bank.${randomBytes(4).toString('hex')}.events`;
    // The consumer's queue exists before the first event is published, so it misses none.
    const events = await EventCollector.start(options.brokerUrl, exchange);
    const services = await Promise.all(Array.from({ length: SERVICE_COUNT }, () => startService(options.databaseUrl)));
    const relays = Array.from({ length: RELAY_COUNT }, (_, index) =>
      startRelayProcess({
        ...RELAY_ENVIRONMENT,
        DATABASE_URL: options.relayDatabaseUrls?.[index] ?? options.databaseUrl,
        BROKER_URL: options.brokerUrl,
        OUTBOX_EXCHANGE: exchange,
      }),
    );
    return new BankCluster(options, exchange, services, relays, events);
  }

  /** Where clients send requests right now (a restarted process listens on a new port). */
  serviceUrls(): string[] {
    return this.services.map((service) => service.url);
  }

  async killService(index: number): Promise<void> {
    const service = this.services[index]!;
    this.killed.add(service.child);
    service.child.kill('SIGKILL');
    await service.exited;
  }

  async restartService(index: number): Promise<void> {
    this.services[index] = await startService(this.options.databaseUrl);
  }

  async killRelay(index: number): Promise<void> {
    const relay = this.relays[index]!;
    this.killed.add(relay.child);
    relay.child.kill('SIGKILL');
    await relay.exited;
  }

  /** Service and relay processes that have exited though the test did not end them. */
  unexpectedExits(): UnexpectedExit[] {
    const processes = [
      ...this.services.map((service, index) => ({ name: `service ${index}`, child: service.child, output: service.output() })),
      ...this.relays.map((relay, index) => ({ name: `relay ${index}`, child: relay.child, output: relay.output() })),
    ];
    return processes
      .filter(({ child }) => (child.exitCode !== null || child.signalCode !== null) && !this.killed.has(child))
      .map(({ name, child, output }) => ({ process: name, exitCode: child.exitCode, signal: child.signalCode, output: output.slice(-OUTPUT_TAIL_CHARS) }));
  }

  /** Service and relay output, for a failing test's message. */
  output(): string {
    const services = this.services.map((service, index) => `--- service ${index}\n${service.output()}`);
    const relays = this.relays.map((relay, index) => `--- relay ${index}\n${relay.output()}`);
    return [...services, ...relays].join('\n').slice(-20_000);
  }

  async stop(): Promise<void> {
    await Promise.all(this.services.map((service) => service.stop()));
    await Promise.all(
      this.relays.map(async (relay) => {
        if (relay.child.exitCode !== null || relay.child.signalCode !== null) return;
        // A relay a test froze (SIGSTOP) would not see the SIGTERM.
        relay.child.kill('SIGCONT');
        relay.child.kill('SIGTERM');
        await relay.exited;
      }),
    );
    await this.events.close();
  }
}

function startService(databaseUrl: string): Promise<ServerProcess> {
  return startServerProcess(databaseUrl, SERVICE_ENVIRONMENT);
}

function startRelayProcess(environment: Record<string, string>): RelayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/outboxWorker.ts'], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => output, exited };
}

/**
 * A consumer with its own durable queue bound to every routing key of the exchange. It records
 * each delivery by event id and by subject (the ledger transaction id), duplicates included, and
 * keeps collecting across a broker restart (its connection recovers by itself).
 */
export class EventCollector {
  /** Deliveries per subject (a transaction id for *.posted, an account id for account.created). */
  readonly deliveriesBySubject = new Map<string, number>();
  readonly eventIds = new Set<string>();
  deliveries = 0;

  private constructor(
    private readonly connection: RecoveringChannelModel,
    private readonly exchange: string,
    private readonly queue: string,
  ) {}

  static async start(brokerUrl: string, exchange: string): Promise<EventCollector> {
    const queue = `${exchange}.bank-consumer`;
    let collector: EventCollector | undefined;
    const pending: Array<{ subject: string; id: string }> = [];
    const record = (subject: string, id: string) => (collector ? collector.record(subject, id) : pending.push({ subject, id }));
    const connection = await connect(brokerUrl, {
      recovery: {
        initialDelay: 200,
        maxDelay: 1_000,
        setup: async (model: ChannelModel) => {
          const channel = await model.createChannel();
          await declareTopology(model, { exchange, exchangeType: 'topic' });
          await channel.assertQueue(queue, { durable: true });
          await channel.bindQueue(queue, exchange, `${ROUTING_KEY_PREFIX}.#`);
          await channel.consume(queue, (message) => {
            if (!message) return;
            const envelope = JSON.parse(message.content.toString('utf8')) as { id: string; subject: string };
            record(envelope.subject, String(message.properties.messageId ?? envelope.id));
            channel.ack(message);
          });
        },
      },
    });
    connection.on('error', () => {});
    collector = new EventCollector(connection, exchange, queue);
    for (const { subject, id } of pending) collector.record(subject, id);
    return collector;
  }

  private record(subject: string, eventId: string): void {
    this.deliveries += 1;
    this.eventIds.add(eventId);
    this.deliveriesBySubject.set(subject, (this.deliveriesBySubject.get(subject) ?? 0) + 1);
  }

  missing(subjects: Iterable<string>): string[] {
    return [...subjects].filter((subject) => !this.deliveriesBySubject.has(subject));
  }

  /** Removes the queue and the exchanges from the (possibly shared) broker, then disconnects. */
  async close(): Promise<void> {
    try {
      const channel = await this.connection.createChannel();
      await channel.deleteQueue(this.queue);
      await channel.deleteQueue(unroutedName(this.exchange));
      await channel.deleteExchange(this.exchange);
      await channel.deleteExchange(unroutedName(this.exchange));
      await channel.close();
    } catch {
      // A broker that is gone takes its queues with it.
    }
    await this.connection.close().catch(() => {});
  }
}
