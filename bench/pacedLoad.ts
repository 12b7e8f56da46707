import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { LoadJob, LoadTick } from './loadGenerator.js';
import { accountRead, nextRequest, requestHeaders, type HttpRequest, type HttpScenarioKind } from './loadScenarios.js';

// An open-loop load at an even pace, for the rate-limited runs. autocannon's rate is a per-second
// quota per connection, sent as fast as it can and then idle until the next second: the latency it
// reports is the latency of full-speed bursts. Here request i is due at start + i / rate, whatever
// the earlier answers did, on a pool of at most `connections` keep-alive connections; its latency
// runs from that due time to the complete response, so time spent waiting for a free connection
// (a stalled service) counts, instead of being hidden by a client that stops sending
// (coordinated omission).
//
// The run opens with a second of account reads at the same pace, not measured: they open the
// connections and warm the client up (measured without it: the first half second's p99 was 40 to
// 50 ms, set by the generator's own start, not by the service), and write nothing, so the ledger's
// count of new transactions still matches the measured 201 answers.
const WARM_UP_SECONDS = 1;

/** What a paced run measured; loadGenerator.ts turns it into a LoadResult. */
export interface PacedOutcome {
  durationSeconds: number;
  statusCounts: Record<string, number>;
  /** Socket errors and timeouts (timeouts count in both, as autocannon counts them). */
  errors: number;
  timeouts: number;
  /** Latency of each 2xx answer, in milliseconds from its scheduled send time. */
  latencies: number[];
  /** Where a stall was: the measured second (by schedule) whose slowest answer was slowest. */
  slowestSecond?: { second: number; maxMs: number };
  /** The generator's own longest event-loop delay: a stall here is the client's, not the service's. */
  generatorEventLoopMaxMs?: number;
  firstFailure?: string;
}

export interface PacedOptions {
  timeoutSeconds: number;
  failureBodyKeptChars: number;
  onTick(tick: LoadTick): void;
}

/** Independent requests only: a sequence's next request waits for an answer, which an open loop does not. */
export function runPaced(job: LoadJob & { kind: HttpScenarioKind; overallRate: number }, options: PacedOptions): Promise<PacedOutcome> {
  const origin = new URL(job.url);
  // FIFO keeps every connection in use, so none sits idle long enough for the server's keep-alive
  // timeout to close it under a request.
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections, scheduling: 'fifo' });
  const intervalMs = 1000 / job.overallRate;
  const warmUpCount = Math.round(job.overallRate * WARM_UP_SECONDS);
  const total = warmUpCount + Math.round(job.overallRate * job.durationSeconds);
  const outcome: PacedOutcome = { durationSeconds: 0, statusCounts: {}, errors: 0, timeouts: 0, latencies: [] };
  const slowestBySecond: number[] = [];
  const eventLoopDelay = monitorEventLoopDelay({ resolution: 5 });
  let tickSucceeded = 0;
  let tickFailed = 0;
  let inFlight = 0;
  let sent = 0;
  let allAnswered = () => {};
  const answered = new Promise<void>((resolve) => (allAnswered = resolve));

  let firstSettledAt: number | undefined;
  let lastSettledAt = 0;
  const settled = (measured: boolean) => {
    if (measured) {
      lastSettledAt = performance.now();
      firstSettledAt ??= lastSettledAt;
    }
    if (--inFlight === 0 && sent === total) allAnswered();
  };

  const send = (index: number) => {
    const scheduledAt = start + index * intervalMs;
    const measured = index >= warmUpCount;
    const next: HttpRequest = measured ? nextRequest(job.kind, job.accounts) : accountRead(job.accounts);
    const headers = requestHeaders(next, job.apiKey);
    if (next.body !== undefined) headers['content-length'] = String(Buffer.byteLength(next.body));
    inFlight++;
    let done = false;
    let timedOut = false;
    const request = http.request(new URL(next.path, origin), { method: next.method, headers, agent });
    // From the scheduled time, as the latency: a request queued behind busy connections can time out.
    const timer = setTimeout(() => {
      timedOut = true;
      request.destroy(new Error('request timed out'));
    }, Math.max(0, scheduledAt + options.timeoutSeconds * 1000 - performance.now()));
    const fail = (error: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      outcome.errors++;
      if (timedOut) outcome.timeouts++;
      tickFailed++;
      outcome.firstFailure ??= `request error: ${timedOut ? 'request timed out' : error.message}`;
      settled(measured);
    };
    request.on('error', fail);
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const keepBody = status >= 300 && outcome.firstFailure === undefined;
      let body = '';
      if (keepBody) response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      else response.resume();
      response.on('error', fail);
      response.on('end', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const succeeded = status >= 200 && status < 300;
        // A warm-up read that fails still fails the run; one that succeeds is not counted.
        if (measured || !succeeded) outcome.statusCounts[status] = (outcome.statusCounts[status] ?? 0) + 1;
        if (!succeeded) tickFailed++;
        else if (measured) {
          const latency = performance.now() - scheduledAt;
          outcome.latencies.push(latency);
          const second = Math.floor((index - warmUpCount) / job.overallRate);
          slowestBySecond[second] = Math.max(slowestBySecond[second] ?? 0, latency);
          tickSucceeded++;
        }
        if (keepBody) outcome.firstFailure ??= `${status} ${body.slice(0, options.failureBodyKeptChars)}`;
        settled(measured);
      });
    });
    request.end(next.body);
  };

  const start = performance.now();
  eventLoopDelay.enable();
  // Each wake sends every request already due, so a late timer (setTimeout only promises "not
  // before") catches up with the schedule instead of shifting it.
  const pump = () => {
    const now = performance.now();
    while (sent < total && start + sent * intervalMs <= now) send(sent++);
    if (sent < total) setTimeout(pump, start + sent * intervalMs - performance.now());
    else if (inFlight === 0) allAnswered();
  };
  pump();

  let second = 0;
  let ticker: NodeJS.Timeout | undefined;
  const tick = () => {
    options.onTick({ type: 'tick', second: ++second, succeeded: tickSucceeded, failed: tickFailed });
    tickSucceeded = 0;
    tickFailed = 0;
    if (second >= job.durationSeconds) clearInterval(ticker);
  };
  // Seconds of the measured schedule: the warm-up is not one of them.
  const ticking = setTimeout(() => (ticker = setInterval(tick, 1000)), WARM_UP_SECONDS * 1000);

  return answered.then(() => {
    clearTimeout(ticking);
    clearInterval(ticker);
    eventLoopDelay.disable();
    outcome.generatorEventLoopMaxMs = Math.round(eventLoopDelay.max / 1e5) / 10;
    const slowest = slowestBySecond.reduce((worst, maxMs, second) => (maxMs > worst.maxMs ? { second: second + 1, maxMs: Math.round(maxMs) } : worst), { second: 0, maxMs: 0 });
    if (slowest.second > 0) outcome.slowestSecond = slowest;
    // The last answer can come just before the last second's tick is due: one tick per second, always.
    while (second < job.durationSeconds) tick();
    // The answers of a service that keeps up span the schedule shifted by their latency: the run
    // lasts the schedule's duration. One that falls behind answers over a longer span, which counts.
    // (From the start to the last answer would charge the last answer's latency to the throughput.)
    const answersSpanMs = lastSettledAt - (firstSettledAt ?? lastSettledAt) + intervalMs;
    outcome.durationSeconds = Math.round(Math.max(job.durationSeconds * 1000, answersSpanMs)) / 1000;
    agent.destroy();
    return outcome;
  });
}
