import { connect, type ChannelModel } from 'amqplib';
import { backoffDelayMs, type BackoffPolicy } from '../backoff.js';
import { describeError, type Logger } from '../logger.js';
import { brokerAddress } from './brokerAddress.js';

// Keeps one AMQP connection open to one of the brokers in BROKER_URL (one node, or a cluster's
// nodes). It connects to the first that answers; when that connection is lost it tries the next
// URL at once, wrapping around the list, and waits RECONNECT_BACKOFF only once every URL has
// failed in a row, so a dead node costs one refused connect, not a backoff. `setup` (channel,
// topology) runs on every connection before it counts as connected; if it throws, that attempt
// failed. A connector that is stopped (shutdown, or the broker refused the topology for good)
// never tries again.

/** Waited after a whole round of URLs failed; the same bounds amqplib's recovery had before. */
const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 5_000 };
/** A connect that neither succeeds nor fails within this (a silent host) counts as failed. */
const CONNECT_TIMEOUT_MS = 5_000;

export interface BrokerConnectorHooks {
  /** Opens what the connection is for; throwing fails the attempt. */
  setup(model: ChannelModel): Promise<void>;
  /** After setup succeeded; `switched` when the broker is another URL than the last connection's. */
  onConnected(model: ChannelModel, address: string, switched: boolean): void;
  /** The open connection is gone (not called for a close asked by stop()). */
  onLost(): void;
}

export class BrokerConnector {
  private next = 0;
  private failuresInRow = 0;
  private lastConnectedIndex: number | undefined;
  private model: ChannelModel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly urls: string[],
    private readonly connectionName: string,
    private readonly log: Logger,
    private readonly hooks: BrokerConnectorHooks,
  ) {
    if (urls.length === 0) throw new Error('invariant: a broker connector needs at least one URL');
  }

  /** Starts connecting in the background: brokers that are down at start are retried, not fatal. */
  start(): void {
    this.schedule(0);
  }

  /** No more attempts; closes the open connection, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const model = this.model;
    this.model = undefined;
    await model?.close().catch(() => {});
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(), delayMs);
  }

  private async attempt(): Promise<void> {
    const index = this.next;
    const address = brokerAddress(this.urls[index]!);
    let model: ChannelModel | undefined;
    try {
      model = await connect(this.urls[index]!, { clientProperties: { connection_name: this.connectionName }, timeout: CONNECT_TIMEOUT_MS });
      // Until setup is done, a broken connection only fails this attempt.
      model.on('error', () => {});
      await this.hooks.setup(model);
    } catch (error) {
      await model?.close().catch(() => {});
      if (this.stopped) return;
      this.log.warn({ broker: address, error: describeError(error) }, 'broker connect failed');
      this.advance();
      return this.schedule(this.delayAfterFailure());
    }
    if (this.stopped) return void (await model.close().catch(() => {}));
    this.connected(model, index, address);
  }

  private connected(model: ChannelModel, index: number, address: string): void {
    this.model = model;
    this.failuresInRow = 0;
    const switched = this.lastConnectedIndex !== undefined && this.lastConnectedIndex !== index;
    this.lastConnectedIndex = index;
    model.on('error', (error: Error) => this.log.warn({ broker: address, error: describeError(error) }, 'broker connection error'));
    model.once('close', (error?: Error) => {
      if (this.model !== model) return;
      this.model = undefined;
      if (this.stopped) return;
      this.log.warn({ broker: address, error: error ? describeError(error) : 'closed' }, 'broker connection lost');
      this.hooks.onLost();
      // The broker we lost is the least likely to answer now: start with the next one.
      this.advance();
      this.schedule(0);
    });
    this.log.info({ broker: address, switched }, 'broker connected');
    this.hooks.onConnected(model, address, switched);
  }

  private advance(): void {
    this.next = (this.next + 1) % this.urls.length;
  }

  /** No wait while some URL of this round is untried; the backoff once all of them failed in a row. */
  private delayAfterFailure(): number {
    this.failuresInRow += 1;
    if (this.failuresInRow % this.urls.length !== 0) return 0;
    return backoffDelayMs(this.failuresInRow / this.urls.length, RECONNECT_BACKOFF);
  }
}
