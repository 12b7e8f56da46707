// Proves that a relay given a real three-node RabbitMQ cluster in BROKER_URL loses no event when
// the node it is connected to is SIGKILLed mid-publish: it moves to the next node of the list, and
// the quorum queues led by the killed node (a consumer's queue and the relay's unrouted queue) keep
// every message the broker confirmed, so every event id arrives at least once.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { createLogger } from '../../src/logger.js';
import { brokerAddress } from '../../src/relay/brokerAddress.js';
import { OutboxRelay, type RelaySettings } from '../../src/relay/relay.js';
import { declareTopology, unroutedName } from '../../src/relay/topology.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startRabbitmqCluster, type ClusterNode, type RabbitmqCluster } from '../support/rabbitmqCluster.js';
import { countUnpublished, delay, insertEvents, relayEnvironment, settingsFrom, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

/** The stream of writes: this many events per insert, one insert every WRITE_INTERVAL_MS. */
const EVENTS_PER_WRITE = 10;
const WRITE_INTERVAL_MS = 20;
/** Events the consumer must have before the kill, so that publishing is in full flow when it comes. */
const DELIVERED_BEFORE_KILL = 300;
/** Writes go on this long after the relay is back, so that events are published before, during and after. */
const WRITES_AFTER_RECONNECT_MS = 1_500;
const QUORUM = { 'x-queue-type': 'quorum' };

let database: TestDatabase;
let cluster: RabbitmqCluster;

before(async () => {
  [database, cluster] = await Promise.all([createTestDatabase(), startRabbitmqCluster()]);
});

after(async () => {
  await Promise.all([database?.drop(), cluster?.stop()]);
});

interface LogLine {
  msg: string;
  broker?: string;
  switched?: boolean;
}

/** The relay's log lines, parsed as they come. */
function logCapture(): { lines: LogLine[]; destination: Writable } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { lines, destination };
}

test('killing the node the relay publishes to loses no event: it moves to the next node and every event arrives', { timeout: TEST_TIMEOUT_MS }, async () => {
  const settings = settingsFrom(relayEnvironment(database, { BROKER_URL: cluster.brokerUrl, OUTBOX_PUBLISH_TIMEOUT_MS: '3000', OUTBOX_BACKOFF_BASE_MS: '100' }));
  const log = logCapture();
  let switches = 0;
  const relay = new OutboxRelay(settings, createLogger('info', 'relay', log.destination), { onBrokerSwitched: () => (switches += 1) });
  const connectedTo = () => log.lines.filter((line) => line.msg === 'broker connected').map((line) => line.broker!);
  let consumer: Consumer | undefined;
  let writing = true;
  const written: string[] = [];
  let writer: Promise<void> = Promise.resolve();
  try {
    await relay.start();
    await waitFor('the relay to connect', () => connectedTo().length > 0, 30_000);
    const victim = nodeAt(connectedTo()[0]!);
    assert.equal(victim, cluster.nodes[0], 'the relay connects to the first URL that answers');
    assert.ok(!log.lines.some((line) => JSON.stringify(line).includes('guest:guest')), 'no credentials in the log');

    // Declared through the victim, the consumer's queue is led by it (client-local placement), as is
    // the unrouted queue the relay declared there; the consumer reads through a node that survives.
    const consumerQueue = `${settings.exchange}.consumer`;
    await declareConsumerQueue(victim, settings, consumerQueue);
    const survivor = cluster.nodes[2]!;
    consumer = await Consumer.start(survivor, consumerQueue);
    const leaders = await queueLeaders(survivor);
    assert.equal(leaders.get(consumerQueue), victim.name);
    assert.equal(leaders.get(unroutedName(settings.exchange)), victim.name);

    // Events no queue is bound for wait in the unrouted queue, on the victim's quorum queue.
    const unbound = await insertEvents(database.pool, 50, 'withdrawal.posted');
    writer = (async () => {
      while (writing) {
        written.push(...(await insertEvents(database.pool, EVENTS_PER_WRITE)));
        await delay(WRITE_INTERVAL_MS);
      }
    })();
    await waitFor('publishing in full flow', () => consumer!.eventIds.size >= DELIVERED_BEFORE_KILL, 30_000);
    const writtenBeforeKill = written.length;
    await cluster.kill(victim);

    await waitFor('the relay to connect to another node', () => connectedTo().length > 1, 30_000);
    await delay(WRITES_AFTER_RECONNECT_MS);
    writing = false;
    await writer;
    assert.ok(written.length > writtenBeforeKill, 'events were written after the kill too');

    await waitFor('the outbox to be published', async () => (await countUnpublished(database.pool)) === 0, 60_000);
    await waitFor('every event at the consumer', () => written.every((id) => consumer!.eventIds.has(id)), 30_000);
    const missing = written.filter((id) => !consumer!.eventIds.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${written.length} events never arrived`);

    const reconnectedTo = connectedTo()[1]!;
    assert.notEqual(reconnectedTo, brokerAddress(victim.url));
    assert.equal(reconnectedTo, brokerAddress(cluster.nodes[1]!.url), 'after a loss the relay tries the next URL of the list');
    assert.ok(switches >= 1);
    const unrouted = await consumer.drain(unroutedName(settings.exchange));
    assert.deepEqual(unbound.filter((id) => !unrouted.has(id)), [], 'the unrouted quorum queue kept every unbound event');
  } finally {
    writing = false;
    await writer.catch(() => {});
    await relay.stop();
    await consumer?.close();
  }
});

function nodeAt(address: string): ClusterNode {
  const node = cluster.nodes.find((candidate) => brokerAddress(candidate.url) === address);
  assert.ok(node, `the relay logged ${address}, which is no node of the cluster`);
  return node;
}

async function declareConsumerQueue(node: ClusterNode, settings: RelaySettings, queue: string): Promise<void> {
  const model = await connect(node.url);
  try {
    await declareTopology(model, settings);
    const channel = await model.createChannel();
    await channel.assertQueue(queue, { durable: true, arguments: QUORUM });
    await channel.bindQueue(queue, settings.exchange, 'ledger.deposit.posted');
  } finally {
    await model.close();
  }
}

/** Each quorum queue's leader node, as the cluster reports it. */
async function queueLeaders(node: ClusterNode): Promise<Map<string, string>> {
  const rows = JSON.parse(await cluster.control(node, ['list_queues', 'name', 'leader', '--formatter', 'json'])) as Array<{ name: string; leader: string }>;
  return new Map(rows.map((row) => [row.name, row.leader]));
}

/** A consumer of a quorum queue through one node; it reconnects if its connection or consumer is lost. */
class Consumer {
  readonly eventIds = new Set<string>();

  private constructor(private readonly connection: Awaited<ReturnType<typeof connectRecovering>>) {}

  static async start(node: ClusterNode, queue: string): Promise<Consumer> {
    let consumer: Consumer | undefined;
    const received: string[] = [];
    const record = (message: ConsumeMessage) => {
      const id = String(message.properties.messageId);
      if (consumer) consumer.eventIds.add(id);
      else received.push(id);
    };
    const connection = await connectRecovering(node.url, async (model) => {
      const channel = await model.createChannel();
      await channel.consume(queue, (message) => {
        // A cancelled consumer (its queue's leader moved) starts again on a new connection.
        if (!message) return void model.close().catch(() => {});
        record(message);
        channel.ack(message);
      });
    });
    consumer = new Consumer(connection);
    for (const id of received) consumer.eventIds.add(id);
    return consumer;
  }

  /** Every message waiting in `queue`, by event id (taken and acknowledged). */
  async drain(queue: string): Promise<Set<string>> {
    const channel = await this.connection.createChannel();
    const ids = new Set<string>();
    try {
      for (let message = await channel.get(queue); message; message = await channel.get(queue)) {
        ids.add(String(message.properties.messageId));
        channel.ack(message);
      }
    } finally {
      await channel.close().catch(() => {});
    }
    return ids;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

function connectRecovering(url: string, setup: (model: ChannelModel) => Promise<void>) {
  return connect(url, { recovery: { initialDelay: 100, maxDelay: 1_000, setup } }).then((connection) => {
    connection.on('error', () => {});
    return connection;
  });
}
