import pgListen, { type Subscriber } from 'pg-listen';
import { backoffDelayMs, type BackoffPolicy } from '../backoff.js';
import { describeError, type Logger } from '../logger.js';
import type { WakeCause } from './wakeSignal.js';

// Listens on the `outbox` channel and turns every notification and every (re)connect into a
// wake-up. Notifications are hints: the ones sent while the listener is down are lost, so each
// (re)connect wakes the relay too, and its backstop poll covers whatever this misses.
//
// pg-listen reconnects by itself, but by default gives up after 3 s, and it does not retry a
// first connect that fails. Here it retries forever with backoff; a first connect that fails, or
// a reconnect that pg-listen abandons ('error'), is handled by starting a fresh subscriber.

export const OUTBOX_CHANNEL = 'outbox';
const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 5_000 };
/** How often pg-listen checks that its connection still answers (catches half-open sockets). */
const CONNECTION_CHECK_INTERVAL_MS = 10_000;
export const LISTENER_APPLICATION_NAME = 'wallet-ledger-outbox-listener';
// pg-listen is CommonJS with its function on `exports.default`.
const createSubscriber = pgListen.default;

export class NotificationListener {
  private subscriber: Subscriber | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failedStarts = 0;
  private connectedBefore = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
    private readonly onWake: (cause: WakeCause) => void,
    /** Each connection after the first (the metrics count reconnects). */
    private readonly onReconnected: () => void = () => {},
  ) {}

  /** Starts listening in the background; a database that is down now is retried, not fatal. */
  start(): void {
    void this.subscribe();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await subscriber?.close().catch(() => {});
  }

  private async subscribe(): Promise<void> {
    if (this.stopped) return;
    const subscriber = createSubscriber(
      { connectionString: this.databaseUrl, application_name: LISTENER_APPLICATION_NAME },
      {
        retryLimit: Infinity,
        retryTimeout: 0,
        // pg-listen counts the failed attempts from 0.
        retryInterval: (failedAttempts: number) => backoffDelayMs(failedAttempts + 1, RECONNECT_BACKOFF),
        paranoidChecking: CONNECTION_CHECK_INTERVAL_MS,
      },
    );
    this.subscriber = subscriber;
    this.watch(subscriber);
    try {
      await subscriber.connect();
      await subscriber.listenTo(OUTBOX_CHANNEL);
      this.failedStarts = 0;
      // pg-listen reported 'connected' before LISTEN ran: look once more now that nothing is missed.
      this.onWake('listener_connected');
    } catch (error) {
      this.log.warn({ error: describeError(error) }, 'notification listener could not connect');
      this.replace(subscriber);
    }
  }

  private watch(subscriber: Subscriber): void {
    subscriber.notifications.on(OUTBOX_CHANNEL, () => this.onWake('notify'));
    subscriber.events.on('connected', () => {
      if (this.subscriber !== subscriber) {
        // An abandoned subscriber whose own reconnect loop finished late: let it go.
        void subscriber.close().catch(() => {});
        return;
      }
      this.log.info({}, 'notification listener connected');
      if (this.connectedBefore) this.onReconnected();
      this.connectedBefore = true;
      this.onWake('listener_connected');
    });
    subscriber.events.on('reconnect', (attempt: number) => {
      if (attempt === 1 && this.subscriber === subscriber) this.log.warn({}, 'notification listener lost its connection, reconnecting');
    });
    subscriber.events.on('error', (error: Error) => {
      this.log.warn({ error: describeError(error) }, 'notification listener failed');
      if (this.subscriber === subscriber) this.replace(subscriber);
    });
  }

  /** Drops a subscriber that cannot recover by itself and starts a fresh one after a delay. */
  private replace(subscriber: Subscriber): void {
    if (this.subscriber === subscriber) this.subscriber = undefined;
    void subscriber.close().catch(() => {});
    if (this.stopped) return;
    this.failedStarts += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.subscribe(), backoffDelayMs(this.failedStarts, RECONNECT_BACKOFF));
  }
}
