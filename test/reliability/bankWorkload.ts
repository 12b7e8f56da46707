import { TEST_API_KEY } from '../support/service.js';
import { isExpectedAnswer, POSTING_KINDS, requestFor, type Operation, type OperationKind } from './bankOperations.js';

export { operationGenerator, seededRandom, type Operation, type OperationKind } from './bankOperations.js';

// Jepsen's bank workload over HTTP: concurrent clients send random transfers, deposits,
// withdrawals, holds, captures, voids and reversals between a fixed set of funded accounts, each with its own Idempotency-Key, and retry
// every request that got no answer (connection error, timeout, 503, key still in progress) with the
// same key until it is answered. Every operation and its final answer is recorded, for the checks.

export const CLIENT_COUNT = 64;
export const ACCOUNT_COUNT = 50;
export const FUNDS_PER_ACCOUNT = 1_000_000n;
/** One attempt that has not been answered within this counts as no answer (a timeout). */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** A client gives up on an operation this long after its first attempt (a bound, not an expectation). */
const RETRY_DEADLINE_MS = 90_000;
const RETRY_DELAY_MIN_MS = 25;
const RETRY_DELAY_MAX_MS = 1_000;

export interface Answer {
  status: number;
  code?: string;
  /** The id of what an applied operation created or changed: a ledger transaction, or a hold. */
  id?: string;
  /** The ledger transaction an applied operation posted (none for a hold or a void). */
  transactionId?: string;
  replayed: boolean;
  body: any;
  answeredAt: number;
}

export interface OperationRecord {
  operation: Operation;
  attempts: number;
  /** The first answer that was not a reason to retry; undefined when the client gave up. */
  answer?: Answer;
  /** Attempts that ended without any HTTP answer (connection refused or reset, timeout). */
  noAnswer: number;
  /** Attempts answered 503, by problem code. */
  unavailable: Record<string, number>;
  /** Attempts answered 409 idempotency_key_in_progress. */
  inProgress: number;
  /** When the first attempt was sent (Date.now()). */
  startedAt: number;
  latencyMs: number;
}

export interface WorkloadCounts {
  sent: number;
  acknowledged: number;
  rejected: number;
  unexpected: number;
  unanswered: number;
  retried: number;
  retries: number;
  noAnswer: number;
  unavailable: number;
  inProgress: number;
  replayedAnswers: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Operations applied, by kind: the mix the run really had. */
  appliedByKind: Partial<Record<OperationKind, number>>;
}

/** One attempt: the answer, or undefined when none came (connection error or timeout). */
export async function sendOnce(baseUrl: string, operation: Operation): Promise<Answer | undefined> {
  const { path, body, method = 'POST', headers } = requestFor(operation);
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json', 'idempotency-key': operation.key, ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    const parsed = parseJson(await response.text());
    const applied = response.status === 201 || response.status === 200;
    return {
      status: response.status,
      code: parsed.code,
      id: applied ? parsed.id : undefined,
      transactionId: applied && POSTING_KINDS.has(operation.kind) ? parsed.id : undefined,
      replayed: response.headers.get('idempotent-replayed') === 'true',
      body: parsed,
      answeredAt: Date.now(),
    };
  } catch {
    return undefined;
  }
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return { unparsed: text };
  }
}

function isReasonToRetry(answer: Answer): boolean {
  return answer.status === 503 || (answer.status === 409 && answer.code === 'idempotency_key_in_progress');
}

/**
 * Sends the operation until it is answered, each attempt to the next service process (as a load
 * balancer would after a failure), backing off between attempts; gives up after RETRY_DEADLINE_MS.
 */
export async function executeOperation(
  operation: Operation,
  serviceUrls: () => string[],
  firstService: number,
  stop?: AbortSignal,
): Promise<OperationRecord> {
  const started = Date.now();
  const record: OperationRecord = { operation, attempts: 0, noAnswer: 0, unavailable: {}, inProgress: 0, startedAt: started, latencyMs: 0 };
  while (Date.now() - started < RETRY_DEADLINE_MS && !stop?.aborted) {
    const urls = serviceUrls();
    const answer = await sendOnce(urls[(firstService + record.attempts) % urls.length]!, operation);
    record.attempts += 1;
    if (answer && !isReasonToRetry(answer)) {
      record.answer = answer;
      break;
    }
    if (!answer) record.noAnswer += 1;
    else if (answer.status === 503) record.unavailable[answer.code ?? 'none'] = (record.unavailable[answer.code ?? 'none'] ?? 0) + 1;
    else record.inProgress += 1;
    const backoff = Math.min(RETRY_DELAY_MAX_MS, RETRY_DELAY_MIN_MS * 2 ** Math.min(record.attempts, 10));
    await delay(backoff / 2 + Math.random() * (backoff / 2));
  }
  record.latencyMs = Date.now() - started;
  return record;
}

export interface WorkloadOptions {
  serviceUrls: () => string[];
  nextOperation: () => Operation;
  durationMs: number;
  clients?: number;
  /** Ends the load early: no new operation, no further retry (a failed test need not wait for the deadline). */
  stop?: AbortSignal;
  /** Told of every operation's final answer (later operations may name what it created). */
  onAnswered?: (record: OperationRecord) => void;
}

/** CLIENT_COUNT clients, each sending one operation at a time until the duration is over; each finishes its last one. */
export async function runWorkload(options: WorkloadOptions): Promise<OperationRecord[]> {
  const records: OperationRecord[] = [];
  const deadline = Date.now() + options.durationMs;
  const client = async (index: number) => {
    while (Date.now() < deadline && !options.stop?.aborted) {
      const record = await executeOperation(options.nextOperation(), options.serviceUrls, index, options.stop);
      records.push(record);
      options.onAnswered?.(record);
    }
  };
  await Promise.all(Array.from({ length: options.clients ?? CLIENT_COUNT }, (_, index) => client(index)));
  return records;
}

export function countOutcomes(records: OperationRecord[]): WorkloadCounts {
  const latencies = records.map((record) => record.latencyMs).sort((a, b) => a - b);
  const percentile = (share: number) => latencies[Math.min(latencies.length - 1, Math.floor(share * latencies.length))] ?? 0;
  const sum = (value: (record: OperationRecord) => number) => records.reduce((total, record) => total + value(record), 0);
  const applied = (record: OperationRecord) => record.answer?.status === 201 || record.answer?.status === 200;
  const expected = (record: OperationRecord) => isExpectedAnswer(record.operation.kind, record.answer!.status, record.answer!.code);
  return {
    sent: records.length,
    acknowledged: records.filter(applied).length,
    rejected: records.filter((record) => record.answer && !applied(record) && expected(record)).length,
    unexpected: records.filter((record) => record.answer && !expected(record)).length,
    unanswered: records.filter((record) => !record.answer).length,
    retried: records.filter((record) => record.attempts > 1).length,
    retries: sum((record) => record.attempts - 1),
    noAnswer: sum((record) => record.noAnswer),
    unavailable: sum((record) => Object.values(record.unavailable).reduce((total, count) => total + count, 0)),
    inProgress: sum((record) => record.inProgress),
    replayedAnswers: records.filter((record) => record.answer?.replayed).length,
    latencyP50Ms: percentile(0.5),
    latencyP99Ms: percentile(0.99),
    latencyMaxMs: latencies.at(-1) ?? 0,
    appliedByKind: records.filter(applied).reduce<Partial<Record<OperationKind, number>>>((counts, { operation }) => {
      counts[operation.kind] = (counts[operation.kind] ?? 0) + 1;
      return counts;
    }, {}),
  };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `work` over `items` with at most `concurrency` at a time; results in item order. */
export async function mapConcurrently<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
