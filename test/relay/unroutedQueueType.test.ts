// Proves that the relay declares `<exchange>.unrouted` as a quorum queue, and that on a broker
// where it already exists as a classic queue (a deployment from before) the relay keeps using it:
// it logs one warning saying how to migrate, publishes every event, and unbound events still wait
// in that classic queue instead of being dropped.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { createLogger } from '../../src/logger.js';
import { OutboxRelay } from '../../src/relay/relay.js';
import { unroutedName } from '../../src/relay/topology.js';
import { brokerUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { countUnpublished, insertEvents, relayEnvironment, settingsFrom, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

/** pino's number for the warn level. */
const PINO_WARN = 40;

let database: TestDatabase;
let broker: ChannelModel;

before(async () => {
  database = await createTestDatabase();
  broker = await connect(brokerUrl());
  broker.on('error', () => {});
});

after(async () => {
  await broker.close();
  await database.drop();
});

/** Runs `work` on a channel of its own: a refused declaration closes its channel. */
async function onChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
  const channel = await broker.createChannel();
  channel.on('error', () => {});
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => {});
  }
}

/** Whether `queue` is a quorum queue: only one accepts a declaration with `x-queue-type: quorum`. */
async function isQuorum(queue: string): Promise<boolean> {
  return onChannel((channel) => channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } })).then(
    () => true,
    () => false,
  );
}

interface LogLine {
  level: number;
  msg: string;
  queue?: string;
  queue_type?: string;
}

async function runRelay(environment: Record<string, string>, eventCount: number): Promise<{ lines: LogLine[]; eventIds: string[] }> {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const relay = new OutboxRelay(settingsFrom(environment), createLogger('info', 'relay', destination));
  const eventIds = await insertEvents(database.pool, eventCount);
  try {
    await relay.start();
    await waitFor('every event published', async () => (await countUnpublished(database.pool)) === 0, 30_000);
  } finally {
    await relay.stop();
  }
  return { lines, eventIds };
}

test('a relay on a fresh broker declares the unrouted queue as a quorum queue', { timeout: TEST_TIMEOUT_MS }, async () => {
  const environment = relayEnvironment(database, { LOG_LEVEL: 'info' });
  const queue = unroutedName(environment.OUTBOX_EXCHANGE!);
  try {
    const { lines, eventIds } = await runRelay(environment, 5);
    assert.equal(await isQuorum(queue), true);
    assert.equal((await onChannel((channel) => channel.checkQueue(queue))).messageCount, eventIds.length, 'unbound events wait in it');
    assert.deepEqual(lines.filter((line) => line.level >= PINO_WARN), []);
  } finally {
    await onChannel((channel) => channel.deleteQueue(queue));
  }
});

test('an unrouted queue that exists as a classic queue is kept, with one warning saying how to migrate', { timeout: TEST_TIMEOUT_MS }, async () => {
  const environment = relayEnvironment(database, { LOG_LEVEL: 'info' });
  const queue = unroutedName(environment.OUTBOX_EXCHANGE!);
  await onChannel((channel) => channel.assertQueue(queue, { durable: true }));
  try {
    const { lines, eventIds } = await runRelay(environment, 5);
    assert.equal(await isQuorum(queue), false, 'the relay did not replace the classic queue');
    assert.equal((await onChannel((channel) => channel.checkQueue(queue))).messageCount, eventIds.length, 'unbound events wait in the classic queue');
    const warnings = lines.filter((line) => line.level >= PINO_WARN);
    assert.equal(warnings.length, 1, JSON.stringify(lines));
    assert.equal(warnings[0]!.queue, queue);
    assert.equal(warnings[0]!.queue_type, 'classic');
    assert.match(warnings[0]!.msg, /exists as a classic queue.*stop every relay.*delete the queue.*quorum queue/);
  } finally {
    await onChannel((channel) => channel.deleteQueue(queue));
  }
});
