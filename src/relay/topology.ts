import type { Channel } from 'amqplib';
import { describeError } from '../logger.js';

// The broker-side objects the relay publishes into, declared on every (re)connect. Declaring is
// idempotent, and a broker that lost its definitions (a fresh node) gets them back.
//
//   <exchange>            durable, type OUTBOX_EXCHANGE_TYPE, alternate-exchange <exchange>.unrouted
//   <exchange>.unrouted   durable fanout, bound to the durable queue <exchange>.unrouted
//
// A message no queue is bound for goes to the alternate exchange and waits in the unrouted queue,
// instead of being confirmed and silently dropped.
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

export function unroutedName(exchange: string): string {
  return `${exchange}.unrouted`;
}

export async function declareTopology(channel: Channel, settings: TopologySettings): Promise<void> {
  const unrouted = unroutedName(settings.exchange);
  const durable = { durable: 'true', auto_delete: 'false' };
  await declare('exchange', unrouted, { type: 'fanout', ...durable }, () =>
    channel.assertExchange(unrouted, 'fanout', { durable: true, autoDelete: false }),
  );
  await declare('queue', unrouted, { exclusive: 'false', ...durable }, () =>
    channel.assertQueue(unrouted, { durable: true, exclusive: false, autoDelete: false }),
  );
  await channel.bindQueue(unrouted, unrouted, '');
  await declare('exchange', settings.exchange, { type: settings.exchangeType, 'alternate-exchange': unrouted, ...durable }, () =>
    channel.assertExchange(settings.exchange, settings.exchangeType, { durable: true, autoDelete: false, alternateExchange: unrouted }),
  );
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
