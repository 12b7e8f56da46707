import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { QUERY_KINDS, queryPath, type QueryKind, type ReadSpace } from './queryReads.js';

// The read bench's read load, run as its own process (forked by queryLoad.ts) so that it shares an
// event loop with neither the service nor the write load. Open loop at an even pace: read i is due
// at start + i / rate and its latency runs from that due time to the complete answer, so a read
// that waits for a free connection behind a stalled service counts (no coordinated omission).
// The kinds take turns, so each gets the same share of the reads.

export interface QueryLoadJob {
  url: string;
  apiKey: string;
  space: ReadSpace;
  ratePerSecond: number;
  connections: number;
  durationSeconds: number;
}

export interface LatencySummary {
  count: number;
  failed: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface QueryLoadResult {
  all: LatencySummary;
  byKind: Record<QueryKind, LatencySummary>;
  firstFailure?: string;
}

const REQUEST_TIMEOUT_MS = 10_000;
const FAILURE_BODY_KEPT_CHARS = 300;

function run(job: QueryLoadJob): Promise<QueryLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections, scheduling: 'fifo' });
  const intervalMs = 1000 / job.ratePerSecond;
  const total = Math.round(job.ratePerSecond * job.durationSeconds);
  const latencies = new Map<QueryKind, number[]>(QUERY_KINDS.map((kind) => [kind, []]));
  const failures = new Map<QueryKind, number>(QUERY_KINDS.map((kind) => [kind, 0]));
  let firstFailure: string | undefined;
  let sent = 0;
  let inFlight = 0;
  let allAnswered = () => {};
  const answered = new Promise<void>((resolve) => (allAnswered = resolve));
  const start = performance.now();

  const settle = () => {
    if (--inFlight === 0 && sent === total) allAnswered();
  };
  const send = (index: number) => {
    const kind = QUERY_KINDS[index % QUERY_KINDS.length]!;
    const scheduledAt = start + index * intervalMs;
    const path = queryPath(kind, job.space);
    inFlight++;
    const fail = (reason: string) => {
      failures.set(kind, failures.get(kind)! + 1);
      firstFailure ??= `${kind} ${path}: ${reason}`;
      settle();
    };
    const request = http.get(new URL(path, job.url), { agent, headers: { 'x-service-api-key': job.apiKey }, timeout: REQUEST_TIMEOUT_MS });
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', (error) => fail(error.message));
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        if (body.length < FAILURE_BODY_KEPT_CHARS) body += chunk;
      });
      response.on('end', () => {
        if (response.statusCode !== 200) return fail(`${response.statusCode} ${body.slice(0, FAILURE_BODY_KEPT_CHARS)}`);
        latencies.get(kind)!.push(performance.now() - scheduledAt);
        settle();
      });
    });
  };
  // Each wake sends every read already due, so a late timer catches up with the schedule.
  const pump = () => {
    const now = performance.now();
    while (sent < total && start + sent * intervalMs <= now) send(sent++);
    if (sent < total) setTimeout(pump, start + sent * intervalMs - performance.now());
    else if (inFlight === 0) allAnswered();
  };
  pump();
  return answered.then(() => {
    agent.destroy();
    const byKind = Object.fromEntries(QUERY_KINDS.map((kind) => [kind, summarize(latencies.get(kind)!, failures.get(kind)!)])) as Record<QueryKind, LatencySummary>;
    const all = summarize([...latencies.values()].flat(), [...failures.values()].reduce((sum, count) => sum + count, 0));
    return { all, byKind, ...(firstFailure ? { firstFailure } : {}) };
  });
}

function summarize(samples: number[], failed: number): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const at = (quantile: number) => round1(sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? 0);
  return { count: sorted.length, failed, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: round1(sorted.at(-1) ?? 0) };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

// The job arrives first; the load starts on 'go'.
process.once('message', (job: QueryLoadJob) => {
  process.send!({ type: 'ready' });
  process.once('message', () => {
    run(job).then(
      (result) => process.send!({ type: 'result', result }, () => process.exit(0)),
      (error: Error) => process.send!({ type: 'error', message: error.message }, () => process.exit(1)),
    );
  });
});
