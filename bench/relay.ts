import { access } from 'node:fs/promises';
import { CpuMeter, processTree, type ProcessGroups } from './cpu.js';
import type { BenchDatabase } from './database.js';
import { runLoad } from './loadClient.js';
import { note } from './progress.js';
import { countUnpublished, insertBacklog, setAsideUnpublished, type BacklogKind } from './relayBacklog.js';
import { DeliveryCounter } from './relayConsumer.js';
import { startRelayProcess, type RelayProcess } from './relayProcess.js';
import type { RelayDrain, RelayLatency, RelayReport } from './relayResults.js';
import { BENCH_API_KEY, type ServiceProcess } from './serviceProcess.js';
import type { BenchSettings } from './settings.js';
import { startLocalBroker } from '../test/support/rabbitmqServer.js';

// The outbox relay's part of the run: how fast relays drain a backlog, compared with
// the service's peak write rate, and how long an event takes from commit to a consumer when the
// relay keeps up, woken by LISTEN/NOTIFY or by its poll alone.

const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
export const EXCHANGE = 'bench.wallet.events';
const DRAIN_RELAY_COUNTS = [1, 2];
/** A drain slower than this many events per second is given up on (the relay is broken, not slow). */
const DRAIN_RATE_MIN_PER_SECOND = 200;
const DRAIN_TIMEOUT_GRACE_MS = 30_000;
const WATCH_INTERVAL_MS = 100;
/** The poll-only relay: the poll interval stands in for the notifications it no longer gets. */
const POLL_ONLY_INTERVAL_MS = 100;
/** Connections of the steady-rate load: enough for the rate at the service's latency. */
const LATENCY_CONNECTIONS = 16;
/** After the load: time for the last events to be delivered. */
const SETTLE_TIMEOUT_MS = 15_000;

export interface RelayBenchContext {
  settings: BenchSettings;
  database: BenchDatabase;
  peakWriteRate: number | undefined;
  /** Events per second of the authorize-then-capture scenario in the same configuration (three a pair). */
  holdEventRate: number | undefined;
  /** Starts a service in the measured configuration and warms it up. */
  startWarmService(): Promise<ServiceProcess>;
  notes: string[];
}

export async function runRelayBench(context: RelayBenchContext): Promise<RelayReport | undefined> {
  const broker = await openBroker(context.settings.brokerUrl);
  if (!broker) {
    context.notes.push(`the relay was not measured: no BENCH_BROKER_URL and no ${RABBITMQ_SERVER}`);
    return undefined;
  }
  try {
    note(`\noutbox relay (broker: ${broker.description})`);
    const setAside = await setAsideUnpublished(context.database.url);
    note(`  ${setAside.toLocaleString('en-US')} events of the HTTP scenarios (no relay ran) set aside as published`);
    const report: RelayReport = {
      broker: broker.description, eventBytes: 0, drains: [], latencies: [],
      ...(context.peakWriteRate ? { peakWriteRate: context.peakWriteRate } : {}), ...(context.holdEventRate ? { holdEventRate: context.holdEventRate } : {}),
    };
    for (const relays of DRAIN_RELAY_COUNTS) report.drains.push(await measureDrain(context, broker.url, relays, report, 'postings'));
    // Hold events are rendered from three tables (the hold, its change, a capture's transaction): one relay, half the backlog.
    report.drains.push(await measureDrain(context, broker.url, 1, report, 'holds'));
    const service = await context.startWarmService();
    try {
      for (const wakeUp of ['listen', 'poll'] as const) report.latencies.push(await measureLatency(context, broker.url, service, wakeUp));
    } finally {
      await service.stop();
    }
    return report;
  } finally {
    await broker.stop();
  }
}

async function openBroker(givenUrl: string | undefined) {
  if (givenUrl) return { url: givenUrl, description: 'BENCH_BROKER_URL', stop: async () => {} };
  const installed = await access(RABBITMQ_SERVER).then(() => true, () => false);
  return installed ? startLocalBroker() : undefined;
}

async function measureDrain(context: RelayBenchContext, brokerUrl: string, relayCount: number, report: RelayReport, kind: BacklogKind): Promise<RelayDrain> {
  const { database, settings } = context;
  const backlog = await insertBacklog(database.url, kind === 'postings' ? settings.relayBacklog : Math.round(settings.relayBacklog / 2), kind);
  const label = `  drain ${backlog.toLocaleString('en-US')} ${kind === 'holds' ? 'hold ' : ''}events, ${relayCount} relay${relayCount > 1 ? 's' : ''}`;
  const consumer = await DeliveryCounter.start(brokerUrl, EXCHANGE);
  const meter = await CpuMeter.start(postgresGroup(database));
  const relays = Array.from({ length: relayCount }, () => startRelayProcess(relayEnvironment(database.url, brokerUrl)));
  for (const [index, relay] of relays.entries()) meter.addGroup(`relay${index + 1}`, relay.pid);
  try {
    const timeoutMs = (1000 * backlog) / DRAIN_RATE_MIN_PER_SECOND + DRAIN_TIMEOUT_GRACE_MS;
    await waitUntil(`${label}: the backlog was not drained`, timeoutMs, relays, async () =>
      consumer.deliveries >= backlog && (await countUnpublished(database.url)) === 0);
  } finally {
    await consumer.close();
  }
  if (kind === 'postings') report.eventBytes = Math.round(consumer.bytes / Math.max(1, consumer.deliveries));
  const cpuPercent = sumRelayCpu(await meter.stop());
  const exitCodes = await Promise.all(relays.map((relay) => relay.stop()));
  const seconds = Math.max(0.001, (consumer.lastAtMs - consumer.firstAtMs) / 1000);
  const eventsPerSecond = Math.round(backlog / seconds);
  const rate = kind === 'postings' ? context.peakWriteRate : context.holdEventRate;
  const ratio = rate ? Math.round((100 * eventsPerSecond) / rate) / 100 : undefined;
  note(`${label}: ${eventsPerSecond.toLocaleString('en-US')} events/s${ratio ? `, ${ratio}x the service's peak ${kind === 'postings' ? 'write' : 'hold event'} rate` : ''}`);
  return {
    kind,
    relays: relayCount, events: backlog, deliveries: consumer.deliveries, seconds: Math.round(seconds * 1000) / 1000,
    eventsPerSecond, ...(ratio ? { ratioToPeakWriteRate: ratio } : {}), exitCodes, cpuPercent,
  };
}

async function measureLatency(context: RelayBenchContext, brokerUrl: string, service: ServiceProcess, wakeUp: RelayLatency['wakeUp']): Promise<RelayLatency> {
  const { database, settings } = context;
  const overrides: Record<string, string> = wakeUp === 'poll' ? { OUTBOX_LISTEN: 'false', OUTBOX_POLL_INTERVAL_MS: String(POLL_ONLY_INTERVAL_MS) } : {};
  const consumer = await DeliveryCounter.start(brokerUrl, EXCHANGE);
  const relay = startRelayProcess({ ...relayEnvironment(database.url, brokerUrl), ...overrides });
  try {
    // The warm-up's events (and any left over) are published first: the measurement starts with no backlog.
    await waitUntil('the relay did not catch up before the latency run', SETTLE_TIMEOUT_MS, [relay], async () => (await countUnpublished(database.url)) === 0);
    const rate = settings.relayLatencyRate;
    const job = { url: service.url, apiKey: BENCH_API_KEY, kind: 'uniform' as const, accounts: settings.accounts, connections: LATENCY_CONNECTIONS, durationSeconds: settings.durationSeconds, overallRate: rate };
    let meter: CpuMeter | undefined;
    const http = await runLoad(job, `  commit-to-delivery, ${wakeUp === 'listen' ? 'LISTEN/NOTIFY' : `poll ${POLL_ONLY_INTERVAL_MS} ms`} @${rate}/s`, async (loadPid) => {
      consumer.sampleFrom(Date.now());
      meter = await CpuMeter.start({ ...postgresGroup(database), service: async () => [service.pid], relay: async () => [relay.pid], load: async () => [loadPid] });
    });
    const cpuPercent = await meter!.stop();
    const written = http.statusCounts['201'] ?? 0;
    await waitUntil('the last events were not delivered', SETTLE_TIMEOUT_MS, [relay], async () =>
      consumer.latenciesMs.length >= written && (await countUnpublished(database.url)) === 0);
    return {
      wakeUp, relayEnvironment: overrides, targetRate: rate, writeRate: http.requestsPerSecond,
      httpLatencyMs: { p50: http.latencyMs.p50, p99: http.latencyMs.p99 },
      events: consumer.latenciesMs.length, deliveryLatencyMs: percentiles(consumer.latenciesMs), cpuPercent,
    };
  } finally {
    await relay.stop();
    await consumer.close();
  }
}

export function relayEnvironment(databaseUrl: string, brokerUrl: string): Record<string, string> {
  return { DATABASE_URL: databaseUrl, BROKER_URL: brokerUrl, LOG_LEVEL: 'warn', OUTBOX_EXCHANGE: EXCHANGE };
}

function postgresGroup(database: BenchDatabase): ProcessGroups {
  const postmaster = database.postmasterPid;
  return postmaster === undefined ? {} : { postgres: () => processTree(postmaster) };
}

/** The relays' CPU as one figure (`relay`), beside PostgreSQL's and the machine's. */
function sumRelayCpu(percent: Record<string, number>): Record<string, number> {
  const summed: Record<string, number> = { relay: 0 };
  for (const [name, value] of Object.entries(percent)) {
    if (name.startsWith('relay')) summed.relay = Math.round(10 * (summed.relay! + value)) / 10;
    else summed[name] = value;
  }
  return summed;
}

export async function waitUntil(failure: string, timeoutMs: number, relays: RelayProcess[], done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) {
      await Promise.all(relays.map((relay) => relay.stop()));
      throw new Error(`${failure} within ${timeoutMs} ms; relay output:\n${relays.map((relay) => relay.output()).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
  }
}

function percentiles(samples: number[]): RelayLatency['deliveryLatencyMs'] {
  const sorted = Float64Array.from(samples).sort();
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? 0;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}
