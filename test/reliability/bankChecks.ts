import assert from 'node:assert/strict';
import type pg from 'pg';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { TEST_API_KEY } from '../support/service.js';
import type { EventCollector } from './bankCluster.js';
import { assertCapturesAppliedOnce, assertHoldsSettled } from './bankHoldChecks.js';
import { appliedStatus, isExpectedAnswer, POSTING_KINDS } from './bankOperations.js';
import {
  ACCOUNT_COUNT,
  countOutcomes,
  delay,
  executeOperation,
  FUNDS_PER_ACCOUNT,
  mapConcurrently,
  sendOnce,
  type OperationRecord,
  type WorkloadCounts,
} from './bankWorkload.js';

// The bank test's checks after a run, each against what the clients were told (the acknowledged
// ledger): the ledger invariants, conservation of money, exactly-once application per key (holds
// and captures in bankHoldChecks.ts), pending sums and available balances, every acknowledged
// transaction readable, and every acknowledged transaction's and hold's event delivered.

const CHECK_CONCURRENCY = 32;
/** The relays catch up on a backlog within this once every fault is healed. */
const EVENT_WAIT_MS = 60_000;
const EXAMPLES_MAX = 5;
/** From this many operations on, a run that applied no hold, capture or reversal lost its mix. */
const MIXED_RUN_OPERATIONS_MIN = 100;

export interface Bank {
  accounts: string[];
  /** The deposits that funded the accounts, all acknowledged. */
  funding: OperationRecord[];
}

export interface BankReport {
  counts: WorkloadCounts;
  eventDeliveries: number;
  eventsUnique: number;
  /** Deliveries of an event already delivered (at-least-once allows them). */
  eventDuplicates: number;
}

/** Opens ACCOUNT_COUNT wallets and funds each with FUNDS_PER_ACCOUNT. */
export async function openBank(serviceUrls: () => string[], keyPrefix: string): Promise<Bank> {
  const accounts = await mapConcurrently([...Array(ACCOUNT_COUNT).keys()], 8, async (index) => {
    const response = await fetch(`${serviceUrls()[index % serviceUrls().length]}/v1/accounts`, {
      method: 'POST',
      headers: { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json', 'idempotency-key': `${keyPrefix}-open-${index}` },
      body: JSON.stringify({ currency: 'USD' }),
    });
    assert.equal(response.status, 201, 'opening an account');
    return ((await response.json()) as { id: string }).id;
  });
  const funding = await mapConcurrently(accounts, 8, (account) =>
    executeOperation({ key: `${keyPrefix}-fund-${account}`, kind: 'deposit', destination: account, amount: FUNDS_PER_ACCOUNT }, serviceUrls, 0),
  );
  assert.ok(funding.every((record) => record.answer?.status === 201), 'every funding deposit is acknowledged');
  return { accounts, funding };
}

export interface CheckContext {
  pool: pg.Pool;
  serviceUrls: () => string[];
  events: EventCollector;
  bank: Bank;
  records: OperationRecord[];
}

export async function checkBank(context: CheckContext): Promise<BankReport> {
  const counts = countOutcomes(context.records);
  assertEveryOperationAnswered(context.records);
  assertHoldsInTheMix(counts);
  assert.deepEqual(describeViolations(await checkLedgerInvariants(context.pool)), [], 'the verify invariants hold');
  await assertMoneyConserved(context);
  await assertAppliedExactlyOnce(context);
  await assertCapturesAppliedOnce(context);
  await assertHoldsSettled(context);
  await assertOutcomesReplay(context);
  await assertAcknowledgedReadable(context);
  const events = await assertEventsDelivered(context);
  return { counts, ...events };
}

export function examples<T>(items: T[]): string {
  return `${items.length}: ${JSON.stringify(items.slice(0, EXAMPLES_MAX))}`;
}

/** A run long enough to have any mix had holds, captures and reversals applied among its transfers. */
function assertHoldsInTheMix(counts: WorkloadCounts): void {
  if (counts.sent < MIXED_RUN_OPERATIONS_MIN) return;
  for (const kind of ['hold', 'capture', 'reversal', 'multi_leg'] as const) {
    assert.ok((counts.appliedByKind[kind] ?? 0) > 0, `no ${kind} applied in ${counts.sent} operations: ${JSON.stringify(counts.appliedByKind)}`);
  }
}

function assertEveryOperationAnswered(records: OperationRecord[]): void {
  const unanswered = records.filter((record) => !record.answer);
  assert.equal(unanswered.length, 0, `operations never answered ${examples(unanswered.map((record) => record.operation.key))}`);
  const unexpected = records.filter((record) => !isExpectedAnswer(record.operation.kind, record.answer!.status, record.answer!.code));
  assert.equal(unexpected.length, 0, `answers no correct ledger gives ${examples(unexpected.map((record) => ({ kind: record.operation.kind, answer: record.answer })))}`);
}

/** The operations whose answer said they were applied (a 201, or a void's 200). */
export function acknowledged(context: CheckContext): OperationRecord[] {
  return [...context.bank.funding, ...context.records].filter((record) => record.answer?.status === appliedStatus(record.operation.kind));
}

/** The acknowledged operations that posted a ledger transaction. */
function posted(context: CheckContext): OperationRecord[] {
  return acknowledged(context).filter((record) => POSTING_KINDS.has(record.operation.kind));
}

/** Each balance, and their sum, equals the funding plus the acknowledged postings, and nothing else (a hold moves no money). */
async function assertMoneyConserved(context: CheckContext): Promise<void> {
  const expected = new Map(context.bank.accounts.map((account) => [account, 0n]));
  let fromSettlement = 0n;
  for (const { operation } of posted(context)) {
    if (operation.source) expected.set(operation.source, expected.get(operation.source)! - operation.amount);
    else fromSettlement += operation.amount;
    if (operation.destination) expected.set(operation.destination, expected.get(operation.destination)! + operation.amount);
    else fromSettlement -= operation.amount;
  }
  const sum = await context.pool.query<{ total: string }>(`SELECT coalesce(sum(balance), 0)::text AS total FROM accounts WHERE kind = 'user'`);
  // The funding is itself a set of deposits, counted in fromSettlement.
  assert.equal(BigInt(sum.rows[0]!.total), fromSettlement, 'user balances sum to what the settlement accounts paid in, net');

  const balances = await mapConcurrently(context.bank.accounts, CHECK_CONCURRENCY, async (account) => {
    const response = await fetch(`${context.serviceUrls()[0]}/v1/accounts/${account}`, { headers: { 'x-service-api-key': TEST_API_KEY } });
    return { account, balance: BigInt(((await response.json()) as { balance: string }).balance) };
  });
  const wrong = balances.filter(({ account, balance }) => balance !== expected.get(account));
  assert.equal(wrong.length, 0, `balances that differ from the acknowledged ledger ${examples(wrong.map((entry) => ({ ...entry, balance: String(entry.balance), expected: String(expected.get(entry.account)) })))}`);
}

/**
 * Every key has exactly the ledger transaction its client was told of (201), or none (otherwise).
 * Captures name no key of their own (their request has no metadata): they are checked by hold.
 */
async function assertAppliedExactlyOnce(context: CheckContext): Promise<void> {
  const applied = await context.pool.query<{ key: string | null; ids: string[] }>(
    `SELECT metadata ->> 'operation_key' AS key, array_agg(id::text) AS ids FROM ledger_transactions WHERE hold_id IS NULL GROUP BY 1`,
  );
  const byKey = new Map(applied.rows.map((row) => [row.key, row.ids]));
  assert.equal(byKey.get(null), undefined, 'every ledger transaction came from a client operation');
  const twice = applied.rows.filter((row) => row.ids.length > 1);
  assert.equal(twice.length, 0, `operations applied more than once ${examples(twice)}`);
  const records = [...context.bank.funding, ...context.records].filter((record) => POSTING_KINDS.has(record.operation.kind) && record.operation.kind !== 'capture');
  const disagreeing = records.filter((record) => {
    const ids = byKey.get(record.operation.key);
    return record.answer!.status === 201 ? ids?.[0] !== record.answer!.transactionId : ids !== undefined;
  });
  assert.equal(disagreeing.length, 0, `keys whose applied transaction differs from the answer ${examples(disagreeing.map((record) => ({ key: record.operation.key, answer: record.answer!.status, applied: byKey.get(record.operation.key) })))}`);
  const postedByKey = posted(context).filter((record) => record.operation.kind !== 'capture');
  assert.equal(applied.rowCount, postedByKey.length, 'no transaction was applied for an operation that was not acknowledged');
}

/** Sent again with its key, every operation replays the answer its client got, and applies nothing. */
async function assertOutcomesReplay(context: CheckContext): Promise<void> {
  const mismatched: unknown[] = [];
  await mapConcurrently(context.records, CHECK_CONCURRENCY, async (record) => {
    const urls = context.serviceUrls();
    const replay = await sendOnce(urls[record.attempts % urls.length]!, record.operation);
    const original = record.answer!;
    if (!replay?.replayed || replay.status !== original.status || replay.id !== original.id) {
      mismatched.push({ key: record.operation.key, original: [original.status, original.id], replay: replay && [replay.status, replay.id, replay.replayed] });
    }
  });
  assert.equal(mismatched.length, 0, `replays that differ from the first answer ${examples(mismatched)}`);
}

/** The type of the transaction an operation posts: a capture's is a transfer, or a withdrawal to the settlement account. */
function postedType(operation: OperationRecord['operation']): string {
  if (operation.kind === 'capture') return operation.destination === undefined ? 'withdrawal' : 'transfer';
  return operation.kind;
}

async function assertAcknowledgedReadable(context: CheckContext): Promise<void> {
  const wrong: unknown[] = [];
  await mapConcurrently(posted(context), CHECK_CONCURRENCY, async ({ operation, answer }) => {
    const response = await fetch(`${context.serviceUrls()[1]}/v1/transactions/${answer!.transactionId}`, { headers: { 'x-service-api-key': TEST_API_KEY } });
    const body = (await response.json()) as {
      type: string; amount: string; source_account_id: string; destination_account_id: string; hold_id: string | null;
      reverses_transaction_id: string | null; entries: unknown[]; legs?: Array<{ source_account_id: string; destination_account_id: string; amount: string }>;
    };
    const amount = operation.amount.toString();
    const legs = [[operation.source, operation.via], [operation.via, operation.destination]];
    const matches = operation.kind === 'multi_leg'
      ? response.status === 200 && body.type === 'multi_leg' && body.entries.length === 4 &&
        JSON.stringify(body.legs?.map((leg) => [leg.source_account_id, leg.destination_account_id, leg.amount])) === JSON.stringify(legs.map((pair) => [...pair, amount]))
      : response.status === 200 &&
      body.type === postedType(operation) &&
      body.hold_id === (operation.kind === 'capture' ? operation.target : null) &&
      body.reverses_transaction_id === (operation.kind === 'reversal' ? operation.target : null) &&
      body.amount === operation.amount.toString() &&
      (operation.source === undefined || body.source_account_id === operation.source) &&
      (operation.destination === undefined || body.destination_account_id === operation.destination) &&
      body.entries.length === 2;
    if (!matches) wrong.push({ key: operation.key, status: response.status, body });
  });
  assert.equal(wrong.length, 0, `acknowledged transactions not readable as acknowledged ${examples(wrong)}`);
}

/** Waits for every acknowledged transaction's and hold's event (and every account's) at the consumer; none may be dead-lettered. */
async function assertEventsDelivered(context: CheckContext): Promise<Omit<BankReport, 'counts'>> {
  const holds = acknowledged(context).filter((record) => record.operation.kind === 'hold').map((record) => record.answer!.id!);
  const subjects = [...context.bank.accounts, ...posted(context).map((record) => record.answer!.transactionId!), ...holds];
  const deadline = Date.now() + EVENT_WAIT_MS;
  while (context.events.missing(subjects).length > 0 && Date.now() < deadline) await delay(100);
  const missing = context.events.missing(subjects);
  const outbox = await context.pool.query<{ unpublished: number; dead: number }>(
    `SELECT (SELECT count(*)::int FROM outbox WHERE published_at IS NULL) AS unpublished, (SELECT count(*)::int FROM dead_letter) AS dead`,
  );
  assert.equal(missing.length, 0, `acknowledged transactions and holds whose event never arrived ${examples(missing)}; outbox ${JSON.stringify(outbox.rows[0])}`);
  assert.equal(outbox.rows[0]!.dead, 0, 'no event was dead-lettered');
  return {
    eventDeliveries: context.events.deliveries,
    eventsUnique: context.events.eventIds.size,
    eventDuplicates: context.events.deliveries - context.events.eventIds.size,
  };
}
