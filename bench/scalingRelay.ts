import { CpuMeter, processTree, type ProcessGroups } from './cpu.js';
import type { BenchDatabase } from './database.js';
import { runLoad } from './loadClient.js';
import { note } from './progress.js';
import { EXCHANGE, relayEnvironment, waitUntil } from './relay.js';
import { countUnpublished, insertBacklog } from './relayBacklog.js';
import { DeliveryCounter } from './relayConsumer.js';
import { startRelayProcess } from './relayProcess.js';
import { BENCH_API_KEY, type ServiceProcess } from './serviceProcess.js';
import type { BenchSettings } from './settings.js';

// The relay's part of the scaling run: one relay draining a backlog alone (its ceiling), then one
// relay beside one service process writing as fast as it answers (does it keep up on a machine it
// shares with the service and PostgreSQL?). Both against the write rate of the same run.

/** A drain of this many events takes a few seconds at the relay's measured 5,000-7,000 events/s. */
const DRAIN_EVENTS = 30_000;
const DRAIN_EVENTS_QUICK = 5_000;
const DRAIN_TIMEOUT_MS = 120_000;
/** Time for a relay to publish what the warm-up wrote, and to catch up after the load. */
const CATCH_UP_TIMEOUT_MS = 60_000;

export interface RelayDrainFigures {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** The relay processes' CPU, and PostgreSQL's, in percent of one core. */
  cpuPercent: Record<string, number>;
  relayMicrosecondsPerEvent: number;
}

export interface RelayBesideWritesFigures {
  durationSeconds: number;
  writesPerSecond: number;
  /** Events the consumer received during the load, per second. */
  eventsPerSecond: number;
  /** Unpublished outbox rows when the load ended (0 when the relay kept up). */
  backlogAtEnd: number;
  /** From the end of the load until the backlog was published. */
  catchUpSeconds: number;
  cpuPercent: Record<string, number>;
  failedWrites: number;
}

export async function measureRelayDrain(settings: BenchSettings, database: BenchDatabase, brokerUrl: string): Promise<RelayDrainFigures> {
  const events = settings.quick ? DRAIN_EVENTS_QUICK : DRAIN_EVENTS;
  await insertBacklog(database.url, events);
  const consumer = await DeliveryCounter.start(brokerUrl, EXCHANGE);
  const meter = await CpuMeter.start(postgresGroup(database));
  const relay = startRelayProcess(relayEnvironment(database.url, brokerUrl));
  meter.addGroup('relay', relay.pid);
  try {
    await waitUntil('the scaling run\'s backlog was not drained', DRAIN_TIMEOUT_MS, [relay], async () =>
      consumer.deliveries >= events && (await countUnpublished(database.url)) === 0);
  } finally {
    await consumer.close();
  }
  const cpuPercent = await meter.stop();
  await relay.stop();
  const seconds = Math.max(0.001, (consumer.lastAtMs - consumer.firstAtMs) / 1000);
  const eventsPerSecond = Math.round(events / seconds);
  note(`  relay drain, ${events.toLocaleString('en-US')} events: ${eventsPerSecond.toLocaleString('en-US')} events/s`);
  return {
    events, seconds: Math.round(seconds * 1000) / 1000, eventsPerSecond, cpuPercent,
    relayMicrosecondsPerEvent: Math.round(((cpuPercent.relay ?? 0) / 100) * seconds * 1e6 / events),
  };
}

export async function measureRelayBesideWrites(
  settings: BenchSettings, database: BenchDatabase, brokerUrl: string, service: ServiceProcess,
): Promise<RelayBesideWritesFigures> {
  const consumer = await DeliveryCounter.start(brokerUrl, EXCHANGE);
  const relay = startRelayProcess(relayEnvironment(database.url, brokerUrl));
  try {
    // A fresh service warms up as every measured one does; the relay publishes those events first.
    await runLoad({ ...job(settings, service), durationSeconds: settings.warmupSeconds }, 'relay beside writes: warm-up (not measured)', async () => {});
    await waitUntil('the relay did not catch up before the measurement', CATCH_UP_TIMEOUT_MS, [relay], async () => (await countUnpublished(database.url)) === 0);
    let meter: CpuMeter | undefined;
    let deliveriesAtStart = 0;
    const http = await runLoad(job(settings, service), 'relay beside writes, one process', async (loadPid) => {
      meter = await CpuMeter.start({ ...postgresGroup(database), service: async () => [service.pid], relay: async () => [relay.pid], load: async () => [loadPid] });
      deliveriesAtStart = consumer.deliveries;
    });
    const delivered = consumer.deliveries - deliveriesAtStart;
    const backlogAtEnd = await countUnpublished(database.url);
    const cpuPercent = await meter!.stop();
    const endedAt = Date.now();
    await waitUntil('the relay did not publish the backlog after the load', CATCH_UP_TIMEOUT_MS, [relay], async () => (await countUnpublished(database.url)) === 0);
    return {
      durationSeconds: http.durationSeconds,
      writesPerSecond: http.requestsPerSecond,
      eventsPerSecond: Math.round(delivered / http.durationSeconds),
      backlogAtEnd,
      catchUpSeconds: Math.round((Date.now() - endedAt) / 100) / 10,
      cpuPercent,
      failedWrites: http.non2xx + http.errors + http.timeouts,
    };
  } finally {
    await relay.stop();
    await consumer.close();
  }
}

function job(settings: BenchSettings, service: ServiceProcess) {
  return { url: service.url, apiKey: BENCH_API_KEY, kind: 'uniform' as const, accounts: settings.accounts, connections: settings.connections, durationSeconds: settings.durationSeconds };
}

function postgresGroup(database: BenchDatabase): ProcessGroups {
  const postmaster = database.postmasterPid;
  return postmaster === undefined ? {} : { postgres: () => processTree(postmaster) };
}
