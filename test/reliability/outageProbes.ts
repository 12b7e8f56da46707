import { randomBytes } from 'node:crypto';
import type { BankCluster } from './bankCluster.js';
import type { FaultContext } from './bankHarness.js';
import { delay, executeOperation, sendOnce, type Operation, type OperationRecord } from './bankWorkload.js';

// What the bank tests with the database out of reach ask each service process while it is: its
// readiness and one write; and how they wait for it to be ready again.

const READINESS_TIMEOUT_MS = 5_000;

export interface Observed {
  status?: number;
  code?: string;
}

export interface OutageAnswers {
  readiness: Observed[];
  writes: Observed[];
}

/** Each service process's /readyz and its answer to one deposit (a probe), sent now. */
export async function probeDuringOutage(context: FaultContext, label: string): Promise<{ answers: OutageAnswers; probes: Operation[] }> {
  const probes = probeOperations(context, label);
  const answers: OutageAnswers = { readiness: [], writes: [] };
  for (const [index, url] of context.cluster.serviceUrls().entries()) {
    answers.readiness.push(await readiness(url));
    const answer = await sendOnce(url, probes[index]!);
    answers.writes.push({ status: answer?.status, code: answer?.code });
  }
  return { answers, probes };
}

/** One deposit per service process. */
export function probeOperations(context: FaultContext, label: string): Operation[] {
  return context.cluster.serviceUrls().map((_url, index) => ({
    key: `${label}-probe-${index}-${randomBytes(4).toString('hex')}`,
    kind: 'deposit',
    destination: context.bank.accounts[index]!,
    amount: 1n,
  }));
}

/** A 503 is not stored: sent again with their keys once the database is back, the probes are ordinary operations. */
export function resendProbes(context: FaultContext, probes: Operation[]): Promise<OperationRecord[]> {
  return Promise.all(probes.map((probe) => executeOperation(probe, () => context.cluster.serviceUrls(), 0)));
}

export async function readiness(url: string): Promise<Observed> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(READINESS_TIMEOUT_MS) });
  const body = (await response.json()) as { code?: string };
  return response.status === 200 ? { status: 200 } : { status: response.status, code: body.code };
}

export async function waitUntilReady(cluster: BankCluster, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(cluster.serviceUrls().map((url) => readiness(url).catch((): Observed => ({}))));
    if (states.every((state) => state.status === 200)) return;
    if (Date.now() > deadline) throw new Error(`not ready ${timeoutMs} ms after the database came back: ${JSON.stringify(states)}`);
    await delay(100);
  }
}
