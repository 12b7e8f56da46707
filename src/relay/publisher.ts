import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { describeError, type Logger } from '../logger.js';
import { BrokerConnector } from './brokerConnector.js';
import type { OutgoingMessage } from './message.js';
import { declareTopology, TopologyMismatchError, unroutedName, type TopologySettings } from './topology.js';

// Publishes batches on one confirm channel and reports, per message, whether the broker took
// responsibility for it (confirm) or not (nack, closed channel, no confirm in time). The
// BrokerConnector keeps a connection to one of the BROKER_URL brokers, moving to the next on a
// loss; `setup` opens the channel and declares the topology on every connection. Any unexpected
// channel close resets the whole connection, so one recovery path rebuilds everything instead of
// two half-recovered states. The one failure no reconnect can fix, a broker holding the exchange
// with other arguments (the same on every node of a cluster), stops the connector and is reported.

const CONNECTION_NAME = 'wallet-ledger-outbox-relay';

export interface PublisherSettings extends TopologySettings {
  /** Tried in order: the first that answers, then the next after a loss (wrapping). */
  brokerUrls: string[];
  publishTimeoutMs: number;
}

/** Why a publish failed, as a bounded label for the metrics; `error` says it in words. */
export type PublishFailureReason = 'not_connected' | 'blocked' | 'confirm_timeout' | 'nacked' | 'send_failed';
export type PublishResult = { ok: true } | { ok: false; reason: PublishFailureReason; error: string };

export interface PublisherHooks {
  /** After every (re)connect, when publishing can (re)start. */
  onReady(): void;
  /** Once, when the broker refuses the topology (logged here) and publishing stops for good. */
  onRefused?(error: TopologyMismatchError): void;
  /** After a connect to another broker of the list than the previous connection's. */
  onBrokerSwitched?(): void;
}

export class Publisher {
  private readonly connector: BrokerConnector;
  private model: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private blocked = false;
  private closing = false;

  constructor(
    private readonly settings: PublisherSettings,
    private readonly log: Logger,
    private readonly hooks: PublisherHooks,
  ) {
    this.connector = new BrokerConnector(settings.brokerUrls, CONNECTION_NAME, log, {
      setup: (model) => this.setup(model),
      onConnected: (model, _address, switched) => this.connected(model, switched),
      onLost: () => {
        this.model = undefined;
        this.channel = undefined;
      },
    });
  }

  /** Starts connecting in the background: brokers that are down at start are retried, not fatal. */
  async start(): Promise<void> {
    this.connector.start();
  }

  /** True while a confirm channel is open and the broker is not throttling us. */
  isReady(): boolean {
    return this.channel !== undefined && !this.blocked;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.channel = undefined;
    await this.connector.stop();
  }

  /** One result per message, in order. Never throws: failures are data the caller records. */
  async publishBatch(messages: OutgoingMessage[]): Promise<PublishResult[]> {
    const channel = this.channel;
    if (!channel || this.blocked) {
      return messages.map(() => (this.blocked ? failed('blocked', 'broker is blocking publishers') : failed('not_connected', 'broker not connected')));
    }
    const deadline = AbortSignal.timeout(this.settings.publishTimeoutMs);
    const expired = abortOf(deadline);
    const confirmations = await this.sendAll(channel, messages, deadline, expired);
    const timedOut = expired.then(() => failed('confirm_timeout', `no broker confirm within ${this.settings.publishTimeoutMs} ms`));
    const results = await Promise.all(confirmations.map((confirmation) => Promise.race([confirmation, timedOut])));
    // RabbitMQ 3.10 keeps nacking, on a channel that published to a quorum queue while its leader
    // was down, after a new leader took over, while a new channel is confirmed at once
    // (test/relay/brokerClusterFailover.test.ts). A nacked batch's channel is therefore replaced.
    if (results.some((result) => !result.ok && result.reason === 'nacked')) await this.replaceChannel(channel);
    return results;
  }

  private async sendAll(
    channel: ConfirmChannel,
    messages: OutgoingMessage[],
    deadline: AbortSignal,
    expired: Promise<void>,
  ): Promise<Array<Promise<PublishResult>>> {
    const confirmations: Array<Promise<PublishResult>> = [];
    for (const message of messages) {
      if (deadline.aborted) {
        confirmations.push(Promise.resolve(failed('confirm_timeout', 'not sent: publish timeout reached before its turn')));
        continue;
      }
      const { confirmation, written } = sendOne(channel, this.settings.exchange, message);
      confirmations.push(confirmation);
      // The socket buffer is full: wait for it to drain rather than buffer a whole batch in memory.
      if (!written) await waitForDrain(channel, expired);
    }
    return confirmations;
  }

  private async setup(model: ChannelModel): Promise<void> {
    try {
      const unroutedType = await declareTopology(model, this.settings);
      if (unroutedType === 'classic') this.warnClassicUnrouted();
    } catch (error) {
      if (error instanceof TopologyMismatchError) this.refuse(error);
      throw error;
    }
    this.model = model;
    this.channel = await this.openChannel(model);
    this.blocked = false;
  }

  private async openChannel(model: ChannelModel): Promise<ConfirmChannel> {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error: Error) => this.log.warn({ error: describeError(error) }, 'broker channel error'));
    channel.on('close', () => this.onChannelClosed(model, channel));
    return channel;
  }

  /** A new confirm channel on the same connection; if none opens, a new connection (the connector's next broker). */
  private async replaceChannel(stale: ConfirmChannel): Promise<void> {
    const model = this.model;
    if (this.channel !== stale || !model) return;
    this.channel = undefined;
    await stale.close().catch(() => {});
    try {
      this.channel = await this.openChannel(model);
    } catch (error) {
      this.log.warn({ error: describeError(error) }, 'could not open a new broker channel');
      model.close().catch(() => {});
    }
  }

  private connected(model: ChannelModel, switched: boolean): void {
    model.on('blocked', (reason: string) => {
      this.blocked = true;
      this.log.warn({ reason }, 'broker blocked publishers');
    });
    model.on('unblocked', () => {
      this.blocked = false;
      this.log.info({}, 'broker unblocked publishers');
      this.hooks.onReady();
    });
    if (switched) this.hooks.onBrokerSwitched?.();
    this.hooks.onReady();
  }

  /** The relay publishes through a classic unrouted queue; the operator decides when to migrate it. */
  private warnClassicUnrouted(): void {
    const queue = unroutedName(this.settings.exchange);
    this.log.warn(
      { queue, queue_type: 'classic' },
      `queue '${queue}' exists as a classic queue, so the relay keeps using it instead of a quorum queue. ` +
        'To migrate: stop every relay, move its messages elsewhere (or check it is empty), delete the queue, start the relays; ' +
        'they declare it as a quorum queue before publishing.',
    );
  }

  /** Every reconnect would be refused the same way: one error line, no more retries. */
  private refuse(error: TopologyMismatchError): void {
    this.log.error(
      {
        [error.objectKind]: error.objectName,
        argument: error.argument,
        relay_declares: error.relayDeclares,
        broker_says: error.brokerSays,
      },
      error.message,
    );
    void this.connector.stop();
    this.hooks.onRefused?.(error);
  }

  private onChannelClosed(model: ChannelModel, channel: ConfirmChannel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    if (this.closing) return;
    // Closing the connection hands the recovery to the connector, which moves to the next broker.
    model.close().catch(() => {});
  }
}

function failed(reason: PublishFailureReason, error: string): PublishResult {
  return { ok: false, reason, error };
}

function sendOne(channel: ConfirmChannel, exchange: string, message: OutgoingMessage): { confirmation: Promise<PublishResult>; written: boolean } {
  let written = true;
  const confirmation = new Promise<PublishResult>((resolve) => {
    try {
      written = channel.publish(exchange, message.routingKey, message.content, message.options, (error: unknown) => {
        resolve(error ? failed('nacked', `broker did not confirm: ${describeError(error)}`) : { ok: true });
      });
    } catch (error) {
      // A channel that closed a moment ago throws here instead of calling back.
      resolve(failed('send_failed', `publish failed: ${describeError(error)}`));
    }
  });
  return { confirmation, written };
}

/** Resolves when the signal aborts; never, if it does not (AbortSignal.timeout's timer does not hold the process). */
function abortOf(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function waitForDrain(channel: ConfirmChannel, expired: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.removeListener('drain', done);
      channel.removeListener('close', done);
      resolve();
    };
    channel.once('drain', done);
    channel.once('close', done);
    void expired.then(done);
  });
}
