import { randomBytes } from 'node:crypto';
import { connect, type ChannelModel } from 'amqplib';
import { declareTopology } from '../src/relay/topology.js';

// The consumer of the relay benchmark: an exclusive queue bound to everything on the exchange,
// without acknowledgements (the broker pushes as fast as it can), that counts deliveries and,
// once sampling starts, records each event's delivery time minus its envelope `time`.

const PREFETCH_UNLIMITED = 0;

export class DeliveryCounter {
  deliveries = 0;
  /** Bytes of all message bodies delivered. */
  bytes = 0;
  firstAtMs = 0;
  lastAtMs = 0;
  /** Latency samples in ms, of events whose time is at or after `sampleSinceMs`. */
  readonly latenciesMs: number[] = [];
  private sampleSinceMs: number | undefined;

  private constructor(private readonly connection: ChannelModel) {}

  static async start(brokerUrl: string, exchange: string): Promise<DeliveryCounter> {
    const connection = await connect(brokerUrl);
    const counter = new DeliveryCounter(connection);
    const channel = await connection.createChannel();
    await declareTopology(connection, { exchange, exchangeType: 'topic' });
    const queue = `${exchange}.bench.${randomBytes(3).toString('hex')}`;
    await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, exchange, '#');
    await channel.prefetch(PREFETCH_UNLIMITED);
    await channel.consume(queue, (message) => message && counter.received(message.content), { noAck: true });
    return counter;
  }

  /** From now on, events stamped at or after `sinceMs` are timed. */
  sampleFrom(sinceMs: number): void {
    this.sampleSinceMs = sinceMs;
    this.latenciesMs.length = 0;
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => {});
  }

  private received(content: Buffer): void {
    const now = Date.now();
    this.deliveries += 1;
    this.bytes += content.length;
    if (this.firstAtMs === 0) this.firstAtMs = now;
    this.lastAtMs = now;
    if (this.sampleSinceMs === undefined) return;
    const eventTimeMs = Date.parse((JSON.parse(content.toString('utf8')) as { time: string }).time);
    if (eventTimeMs >= this.sampleSinceMs) this.latenciesMs.push(now - eventTimeMs);
  }
}
