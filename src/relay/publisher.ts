import { connect, type ChannelModel, type ConfirmChannel, type RecoveringChannelModel } from 'amqplib';
import { describeError, type Logger } from '../logger.js';
import type { OutgoingMessage } from './message.js';
import { declareTopology, TopologyMismatchError, type TopologySettings } from './topology.js';

// Publishes batches on one confirm channel and reports, per message, whether the broker took
// responsibility for it (confirm) or not (nack, closed channel, no confirm in time). amqplib's
// connection recovery reconnects forever; `setup` opens the channel and declares the topology on
// every connection. Any unexpected channel close resets the whole connection, so one recovery
// path rebuilds everything instead of two half-recovered states. The one failure no reconnect can
// fix, a broker holding the exchange with other arguments, stops the recovery and is reported.

const RECONNECT_DELAY_MIN_MS = 200;
const RECONNECT_DELAY_MAX_MS = 5_000;
const CONNECTION_NAME = 'wallet-ledger-outbox-relay';

export interface PublisherSettings extends TopologySettings {
  brokerUrl: string;
  publishTimeoutMs: number;
}

/** Why a publish failed, as a bounded label for the metrics; `error` says it in words. */
export type PublishFailureReason = 'not_connected' | 'blocked' | 'confirm_timeout' | 'nacked' | 'send_failed';
export type PublishResult = { ok: true } | { ok: false; reason: PublishFailureReason; error: string };

export class Publisher {
  private connection: RecoveringChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private blocked = false;
  private closing = false;
  private refused = false;

  /**
   * `onReady` runs after every (re)connect, when publishing can (re)start; `onRefused` once, when
   * the broker refuses the topology (logged here) and publishing stops for good.
   */
  constructor(
    private readonly settings: PublisherSettings,
    private readonly log: Logger,
    private readonly onReady: () => void,
    private readonly onRefused: (error: TopologyMismatchError) => void = () => {},
  ) {}

  /** Starts connecting in the background: a broker that is down at start is retried, not fatal. */
  async start(): Promise<void> {
    const connection = await connect(this.settings.brokerUrl, {
      clientProperties: { connection_name: CONNECTION_NAME },
      recovery: {
        waitForConnect: false,
        maxRetries: Infinity,
        initialDelay: RECONNECT_DELAY_MIN_MS,
        maxDelay: RECONNECT_DELAY_MAX_MS,
        setup: (model: ChannelModel) => this.setup(model),
      },
    });
    this.watch(connection);
    this.connection = connection;
  }

  /** True while a confirm channel is open and the broker is not throttling us. */
  isReady(): boolean {
    return this.channel !== undefined && !this.blocked;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.channel = undefined;
    await this.connection?.close().catch(() => {});
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
    return Promise.all(confirmations.map((confirmation) => Promise.race([confirmation, timedOut])));
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
    const channel = await model.createConfirmChannel();
    // A declaration that fails says so itself (below, or as the recovery's connect-failed).
    let declared = false;
    channel.on('error', (error: Error) => {
      if (declared) this.log.warn({ error: describeError(error) }, 'broker channel error');
    });
    try {
      await declareTopology(channel, this.settings);
    } catch (error) {
      if (error instanceof TopologyMismatchError) this.refuse(error);
      throw error;
    }
    declared = true;
    channel.on('close', () => this.onChannelClosed(model, channel));
    this.channel = channel;
    this.blocked = false;
  }

  /** Every reconnect would be refused the same way: one error line, no more retries. */
  private refuse(error: TopologyMismatchError): void {
    this.refused = true;
    this.log.error(
      {
        [error.objectKind]: error.objectName,
        argument: error.argument,
        relay_declares: error.relayDeclares,
        broker_says: error.brokerSays,
      },
      error.message,
    );
    // Stops amqplib's recovery: the failed attempt schedules no reconnect.
    this.connection?.close().catch(() => {});
    this.onRefused(error);
  }

  private onChannelClosed(model: ChannelModel, channel: ConfirmChannel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    if (this.closing) return;
    // Closing the connection hands the recovery to amqplib, which reconnects and runs setup again.
    model.close().catch(() => {});
  }

  private watch(connection: RecoveringChannelModel): void {
    connection.on('connect', () => {
      this.log.info({}, 'broker connected');
      this.onReady();
    });
    connection.on('disconnect', (error: Error) => {
      this.channel = undefined;
      if (!this.closing) this.log.warn({ error: describeError(error) }, 'broker connection lost');
    });
    connection.on('connect-failed', (error: Error) => {
      if (!this.refused) this.log.warn({ error: describeError(error) }, 'broker connect failed');
    });
    connection.on('error', (error: Error) => this.log.warn({ error: describeError(error) }, 'broker connection error'));
    connection.on('blocked', (reason: string) => {
      this.blocked = true;
      this.log.warn({ reason }, 'broker blocked publishers');
    });
    connection.on('unblocked', () => {
      this.blocked = false;
      this.log.info({}, 'broker unblocked publishers');
      this.onReady();
    });
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
