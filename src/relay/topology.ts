import type { Channel, ChannelModel } from 'amqplib';
import { describeError } from '../logger.js';

// The broker-side objects the relay publishes into, declared on every (re)connect. Declaring is
// idempotent, and a broker that lost its definitions (a fresh node) gets them back.
//
//   <exchange>            durable, type OUTBOX_EXCHANGE_TYPE, alternate-exchange <exchange>.unrouted
//   <exchange>.unrouted   durable fanout, bound to the quorum queue <exchange>.unrouted
//
// A message no queue is bound for goes to the alternate exchange and waits in the unrouted queue,
// instead of being confirmed and silently dropped. The queue is a quorum queue, replicated on a
// majority of a cluster's nodes before the broker confirms, so losing a node loses none of it.
//
// A deployment from before quorum queues has the unrouted queue as a classic queue, which cannot be
// redeclared as quorum (406). The relay then keeps using the classic queue and says so (`classic`),
// for the publisher to warn the operator how to migrate (docs/design.md, Broker cluster): refusing
// to publish would stop every event over a queue that still works.
//
// An object that already exists with other arguments (another exchange type, say) makes the broker
// close the channel with 406 PRECONDITION_FAILED. No retry can fix that, so it is reported as a
// TopologyMismatchError naming the object and the argument, for the relay to stop on.

export interface TopologySettings {
  exchange: string;
  exchangeType: string;
}

/** amqplib's error `code` when the broker closes the channel with PRECONDITION_FAILED. */
const PRECONDITION_FAILED = 406;
/** How RabbitMQ names the argument in its message: "inequivalent arg 'type' for exchange ...". */
const INEQUIVALENT_ARGUMENT = /inequivalent arg '([^']+)'/;

type ObjectKind = 'exchange' | 'queue';

export class TopologyMismatchError extends Error {
  constructor(
    readonly objectKind: ObjectKind,
    readonly objectName: string,
    /** The argument the broker names (`type`, `durable`, `alternate-exchange`, ...), if it names one. */
    readonly argument: string | undefined,
    /** What the relay declares for that argument. */
    readonly relayDeclares: string,
    /** The broker's own words, which say what it holds instead. */
    readonly brokerSays: string,
  ) {
    super(
      `${objectKind} '${objectName}' exists on the broker with another ${argument === undefined ? 'argument' : `'${argument}'`} ` +
        `than the relay declares (${relayDeclares}); delete it or change the relay's settings. Broker: ${brokerSays}`,
    );
    this.name = 'TopologyMismatchError';
  }
}

/** The type of the `<exchange>.unrouted` queue the relay found or made. */
export type UnroutedQueueType = 'quorum' | 'classic';

/** What the broker says when the queue exists as a classic one: "... current is none" or "... current is 'classic'". */
const CLASSIC_QUEUE_IN_THE_WAY = /inequivalent arg 'x-queue-type'.*current is (none|'classic')/;
const DURABLE = { durable: 'true', auto_delete: 'false' };

export function unroutedName(exchange: string): string {
  return `${exchange}.unrouted`;
}

/** Declares the exchanges and the unrouted queue, on channels of its own. */
export async function declareTopology(model: ChannelModel, settings: TopologySettings): Promise<UnroutedQueueType> {
  const unrouted = unroutedName(settings.exchange);
  const queueType = await declareUnroutedQueue(model, unrouted);
  await withChannel(model, async (channel) => {
    await declare('exchange', unrouted, { type: 'fanout', ...DURABLE }, () =>
      channel.assertExchange(unrouted, 'fanout', { durable: true, autoDelete: false }),
    );
    await channel.bindQueue(unrouted, unrouted, '');
    await declare('exchange', settings.exchange, { type: settings.exchangeType, 'alternate-exchange': unrouted, ...DURABLE }, () =>
      channel.assertExchange(settings.exchange, settings.exchangeType, { durable: true, autoDelete: false, alternateExchange: unrouted }),
    );
  });
  return queueType;
}

/** The quorum queue, or the classic queue already there (a 406 closes a channel, so that case checks on a fresh one). */
async function declareUnroutedQueue(model: ChannelModel, name: string): Promise<UnroutedQueueType> {
  try {
    await withChannel(model, (channel) =>
      declare('queue', name, { 'x-queue-type': 'quorum', exclusive: 'false', ...DURABLE }, () =>
        channel.assertQueue(name, { durable: true, exclusive: false, autoDelete: false, arguments: { 'x-queue-type': 'quorum' } }),
      ),
    );
    return 'quorum';
  } catch (error) {
    if (!(error instanceof TopologyMismatchError && CLASSIC_QUEUE_IN_THE_WAY.test(error.brokerSays))) throw error;
    await withChannel(model, (channel) => channel.checkQueue(name));
    return 'classic';
  }
}

async function withChannel<T>(model: ChannelModel, work: (channel: Channel) => Promise<T>): Promise<T> {
  const channel = await model.createChannel();
  // A refused declaration rejects its own call; the channel's error event says the same again.
  channel.on('error', () => {});
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => {});
  }
}

/** Runs one declaration; a 406 becomes a TopologyMismatchError comparing `declared` with the broker's answer. */
async function declare(kind: ObjectKind, name: string, declared: Record<string, string>, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if ((error as { code?: unknown }).code !== PRECONDITION_FAILED) throw error;
    const brokerSays = describeError(error);
    const argument = INEQUIVALENT_ARGUMENT.exec(brokerSays)?.[1];
    const relayDeclares =
      argument === undefined
        ? Object.entries(declared).map(([key, value]) => `${key} '${value}'`).join(', ')
        : `${argument} '${declared[argument] ?? 'none'}'`;
    throw new TopologyMismatchError(kind, name, argument, relayDeclares, brokerSays);
  }
}
