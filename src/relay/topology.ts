import type { Channel } from 'amqplib';

// The broker-side objects the relay publishes into, declared on every (re)connect. Declaring is
// idempotent, and a broker that lost its definitions (a fresh node) gets them back.
//
//   <exchange>            durable, type OUTBOX_EXCHANGE_TYPE, alternate-exchange <exchange>.unrouted
//   <exchange>.unrouted   durable fanout, bound to the durable queue <exchange>.unrouted
//
// A message no queue is bound for goes to the alternate exchange and waits in the unrouted queue,
// instead of being confirmed and silently dropped.

export interface TopologySettings {
  exchange: string;
  exchangeType: string;
}

export function unroutedName(exchange: string): string {
  return `${exchange}.unrouted`;
}

export async function declareTopology(channel: Channel, settings: TopologySettings): Promise<void> {
  const unrouted = unroutedName(settings.exchange);
  await channel.assertExchange(unrouted, 'fanout', { durable: true, autoDelete: false });
  await channel.assertQueue(unrouted, { durable: true, exclusive: false, autoDelete: false });
  await channel.bindQueue(unrouted, unrouted, '');
  await channel.assertExchange(settings.exchange, settings.exchangeType, {
    durable: true,
    autoDelete: false,
    alternateExchange: unrouted,
  });
}
