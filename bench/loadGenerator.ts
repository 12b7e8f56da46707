import autocannon from 'autocannon';
import { authorizeCaptureRequests } from './holdSequence.js';
import { isSequenceKind, nextRequest, requestHeaders, type HttpScenarioKind, type LoadKind } from './loadScenarios.js';
import { runPaced, type PacedOutcome } from './pacedLoad.js';

// The load generator, run as its own process (forked by loadClient.ts) so that it never shares an
// event loop with the service or the orchestrator. It receives one job over IPC, reports progress
// each second and sends its result back. As fast as the service answers: autocannon (closed loop).
// At a fixed rate: pacedLoad.ts (open loop, evenly spaced), as autocannon's rate comes in bursts.

export interface LoadJob {
  url: string;
  /**
   * Several service processes behind one load: the connections go to these URLs in turn (autocannon
   * takes more than one URL and gives connection i the URL i mod their count). Unset: `url` alone.
   */
  urls?: string[];
  apiKey: string;
  kind: LoadKind;
  accounts: number;
  connections: number;
  durationSeconds: number;
  /** Requests per second over all connections, evenly paced; unset means as fast as the service answers. */
  overallRate?: number;
}

export interface LoadResult {
  durationSeconds: number;
  responses: number;
  succeeded: number;
  /** Responses by HTTP status, e.g. { "201": 4000, "200": 16000 }. */
  statusCounts: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Successful responses per second. */
  requestsPerSecond: number;
  /** Sequence scenarios only (authorize then capture): sequences whose last request answered 2xx. */
  sequencesCompleted?: number;
  /**
   * Latency of successful responses, in milliseconds, from the raw samples (µs precision). At a fixed
   * rate it runs from each request's scheduled send time.
   */
  latencyMs: { mean: number; p50: number; p90: number; p99: number; p99_9: number; max: number };
  /** Fixed-rate runs only: where the worst stall was, and whether the generator itself stalled. */
  slowestSecond?: { second: number; maxMs: number };
  generatorEventLoopMaxMs?: number;
  /** Fixed-rate runs only: the longest delay of an idle process beside the load (the machine's pauses). */
  idleProbeMaxDelayMs?: number;
  firstFailure?: string;
}

export interface LoadTick {
  type: 'tick';
  second: number;
  succeeded: number;
  failed: number;
}

const REQUEST_TIMEOUT_SECONDS = 10;
const FAILURE_BODY_KEPT_CHARS = 300;

function run(job: LoadJob): Promise<LoadResult> {
  if (!job.overallRate) return runAutocannon(job);
  if (job.urls) return Promise.reject(new Error('a load over several URLs runs as fast as the services answer only'));
  if (isSequenceKind(job.kind)) return Promise.reject(new Error(`${job.kind} runs as fast as the service answers only: the paced load sends independent requests`));
  const paced = runPaced({ ...job, kind: job.kind, overallRate: job.overallRate }, {
    timeoutSeconds: REQUEST_TIMEOUT_SECONDS,
    failureBodyKeptChars: FAILURE_BODY_KEPT_CHARS,
    onTick: (tick) => process.send!(tick),
  });
  return paced.then(toLoadResult);
}

function runAutocannon(job: LoadJob): Promise<LoadResult> {
  const latencies: number[] = [];
  let firstFailure: string | undefined;
  let second = 0;
  let tickSucceeded = 0;
  let tickFailed = 0;
  const sequence = isSequenceKind(job.kind);
  let pairsCompleted = 0;
  let finish: (error: Error | null, result: autocannon.Result) => void = () => {};
  const done = new Promise<LoadResult>((resolve, reject) => {
    finish = (error, result) => {
      if (error) return reject(error);
      const summary = summarize(result, latencies, firstFailure);
      resolve(sequence ? { ...summary, sequencesCompleted: pairsCompleted } : summary);
    };
  });
  const onFailure = (status: number, body: string) => {
    if (status >= 300 && firstFailure === undefined) firstFailure = `${status} ${body.slice(0, FAILURE_BODY_KEPT_CHARS)}`;
  };
  const requests = isSequenceKind(job.kind)
    ? authorizeCaptureRequests(job.accounts, job.apiKey, { onFailure, onPairCompleted: () => pairsCompleted++ })
    : [independentRequests(job.kind, job.accounts, job.apiKey, onFailure)];
  const instance = autocannon({
    // The typings declare one URL; autocannon's documented option takes several.
    url: (job.urls ?? job.url) as string,
    connections: job.connections,
    duration: job.durationSeconds,
    timeout: REQUEST_TIMEOUT_SECONDS,
    requests,
  }, (error, result) => finish(error, result));
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) {
      latencies.push(responseTime);
      tickSucceeded++;
    } else tickFailed++;
  });
  instance.on('reqError', (error: Error) => {
    tickFailed++;
    firstFailure ??= `request error: ${error.message}`;
  });
  instance.on('tick', () => {
    process.send!({ type: 'tick', second: ++second, succeeded: tickSucceeded, failed: tickFailed } satisfies LoadTick);
    tickSucceeded = 0;
    tickFailed = 0;
  });
  return done;
}

/** One request list entry that draws a new, independent request each time. */
function independentRequests(kind: HttpScenarioKind, accounts: number, apiKey: string, onFailure: (status: number, body: string) => void): autocannon.Request {
  return {
    setupRequest: (request: autocannon.Request): autocannon.Request => {
      const next = nextRequest(kind, accounts);
      return { ...request, ...next, body: next.body ?? '', headers: requestHeaders(next, apiKey) };
    },
    onResponse: onFailure,
  };
}

function summarize(result: autocannon.Result, latencies: number[], firstFailure: string | undefined): LoadResult {
  const statusCounts: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) statusCounts[status] = (stats as { count: number }).count;
  return toLoadResult({ durationSeconds: result.duration, statusCounts, errors: result.errors, timeouts: result.timeouts, latencies, ...(firstFailure ? { firstFailure } : {}) });
}

/** Both generators' figures in one shape (autocannon's mapped to a PacedOutcome first). */
function toLoadResult(outcome: PacedOutcome): LoadResult {
  const { durationSeconds, statusCounts, firstFailure, slowestSecond, generatorEventLoopMaxMs } = outcome;
  const succeeded = Object.entries(statusCounts).reduce((sum, [status, count]) => sum + (status.startsWith('2') ? count : 0), 0);
  const responses = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  return {
    durationSeconds,
    responses,
    succeeded,
    statusCounts,
    non2xx: responses - succeeded,
    errors: outcome.errors,
    timeouts: outcome.timeouts,
    requestsPerSecond: Math.round(succeeded / durationSeconds),
    latencyMs: percentiles(outcome.latencies),
    ...(slowestSecond ? { slowestSecond } : {}),
    ...(generatorEventLoopMaxMs === undefined ? {} : { generatorEventLoopMaxMs }),
    ...(firstFailure ? { firstFailure } : {}),
  };
}

function percentiles(samples: number[]): LoadResult['latencyMs'] {
  const sorted = Float64Array.from(samples).sort();
  const at = (quantile: number) => round3(sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? 0);
  const mean = sorted.length ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : 0;
  return { mean: round3(mean), p50: at(0.5), p90: at(0.9), p99: at(0.99), p99_9: at(0.999), max: round3(sorted.at(-1) ?? 0) };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

// The job arrives first; the load starts on 'go', once the parent has started measuring CPU.
process.once('message', (job: LoadJob) => {
  process.send!({ type: 'ready' });
  process.once('message', () => void start(job));
});

function start(job: LoadJob): void {
  run(job).then(
    (result) => process.send!({ type: 'result', result }, () => process.exit(0)),
    (error: Error) => process.send!({ type: 'error', message: error.message }, () => process.exit(1)),
  );
}
