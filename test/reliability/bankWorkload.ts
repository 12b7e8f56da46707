import { TEST_API_KEY } from '../support/service.js';

// Jepsen's bank workload over HTTP: concurrent clients send random transfers, deposits and
// withdrawals between a fixed set of funded accounts, each with its own Idempotency-Key, and retry
// every request that got no answer (connection error, timeout, 503, key still in progress) with the
// same key until it is answered. Every operation and its final answer is recorded, for the checks.

export const CLIENT_COUNT = 64;
export const ACCOUNT_COUNT = 50;
export const FUNDS_PER_ACCOUNT = 1_000_000n;
const AMOUNT_MAX = 5_000;
/** One attempt that has not been answered within this counts as no answer (a timeout). */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** A client gives up on an operation this long after its first attempt (a bound, not an expectation). */
const RETRY_DEADLINE_MS = 90_000;
const RETRY_DELAY_MIN_MS = 25;
const RETRY_DELAY_MAX_MS = 1_000;

export type OperationKind = 'transfer' | 'deposit' | 'withdrawal';

export interface Operation {
  key: string;
  kind: OperationKind;
  /** Debited account (transfer, withdrawal); undefined for a deposit. */
  source?: string;
  /** Credited account (transfer, deposit); undefined for a withdrawal. */
  destination?: string;
  amount: bigint;
}

export interface Answer {
  status: number;
  code?: string;
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
}

/** A small seeded generator (mulberry32), so that a failing run can be repeated with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface OperationMix {
  accounts: string[];
  random: () => number;
  keyPrefix: string;
  /** Probability that an operation involves accounts[0] (a hot account); otherwise accounts are uniform. */
  hotAccountShare?: number;
}

export function operationGenerator(mix: OperationMix): () => Operation {
  let counter = 0;
  const pick = (exclude?: string): string => {
    for (;;) {
      const account = mix.accounts[Math.floor(mix.random() * mix.accounts.length)]!;
      if (account !== exclude) return account;
    }
  };
  const hot = () => (mix.hotAccountShare !== undefined && mix.random() < mix.hotAccountShare ? mix.accounts[0] : undefined);
  return () => {
    counter += 1;
    const key = `${mix.keyPrefix}-${counter}`;
    const amount = BigInt(1 + Math.floor(mix.random() * AMOUNT_MAX));
    const roll = mix.random();
    if (roll < 0.7) {
      const source = hot() ?? pick();
      return { key, kind: 'transfer', source, destination: pick(source), amount };
    }
    if (roll < 0.85) return { key, kind: 'deposit', destination: hot() ?? pick(), amount };
    return { key, kind: 'withdrawal', source: hot() ?? pick(), amount };
  };
}

export function requestFor(operation: Operation): { path: string; body: Record<string, unknown> } {
  // The key in the metadata ties each ledger transaction to the operation that asked for it.
  const metadata = { operation_key: operation.key };
  const amount = operation.amount.toString();
  switch (operation.kind) {
    case 'transfer':
      return {
        path: '/v1/transactions/transfer',
        body: { source_account_id: operation.source, destination_account_id: operation.destination, amount, metadata },
      };
    case 'deposit':
      return { path: '/v1/transactions/deposit', body: { account_id: operation.destination, amount, metadata } };
    case 'withdrawal':
      return { path: '/v1/transactions/withdraw', body: { account_id: operation.source, amount, metadata } };
  }
}

/** One attempt: the answer, or undefined when none came (connection error or timeout). */
export async function sendOnce(baseUrl: string, operation: Operation): Promise<Answer | undefined> {
  const { path, body } = requestFor(operation);
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json', 'idempotency-key': operation.key },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    const parsed = parseJson(await response.text());
    return {
      status: response.status,
      code: parsed.code,
      transactionId: response.status === 201 ? parsed.id : undefined,
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
}

/** CLIENT_COUNT clients, each sending one operation at a time until the duration is over; each finishes its last one. */
export async function runWorkload(options: WorkloadOptions): Promise<OperationRecord[]> {
  const records: OperationRecord[] = [];
  const deadline = Date.now() + options.durationMs;
  const client = async (index: number) => {
    while (Date.now() < deadline && !options.stop?.aborted) {
      records.push(await executeOperation(options.nextOperation(), options.serviceUrls, index, options.stop));
    }
  };
  await Promise.all(Array.from({ length: options.clients ?? CLIENT_COUNT }, (_, index) => client(index)));
  return records;
}

export function countOutcomes(records: OperationRecord[]): WorkloadCounts {
  const latencies = records.map((record) => record.latencyMs).sort((a, b) => a - b);
  const percentile = (share: number) => latencies[Math.min(latencies.length - 1, Math.floor(share * latencies.length))] ?? 0;
  const sum = (value: (record: OperationRecord) => number) => records.reduce((total, record) => total + value(record), 0);
  const status = (record: OperationRecord) => record.answer?.status;
  return {
    sent: records.length,
    acknowledged: records.filter((record) => status(record) === 201).length,
    rejected: records.filter((record) => status(record) === 422 && record.answer!.code === 'insufficient_funds').length,
    unexpected: records.filter((record) => record.answer && !(status(record) === 201 || (status(record) === 422 && record.answer.code === 'insufficient_funds'))).length,
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
