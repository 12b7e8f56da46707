import assert from 'node:assert/strict';
import { TEST_API_KEY } from '../support/service.js';
import { acknowledged, type CheckContext, examples } from './bankChecks.js';
import { mapConcurrently, type OperationRecord } from './bankWorkload.js';

// The bank test's checks of holds, against what the clients were told: each acknowledged hold
// exists once; each hold was captured or voided at most once, as its one acknowledged capture or
// void says; each acknowledged capture posted exactly one transaction naming the hold; and every
// account's pending sums are those of its holds still pending, its available balance never negative.

const CHECK_CONCURRENCY = 32;

interface HoldOutcome {
  hold: OperationRecord;
  /** The acknowledged captures and voids of the hold: at most one may exist. */
  settledBy: OperationRecord[];
}

/** Each acknowledged hold with the acknowledged captures and voids that name it. */
function holdOutcomes(context: CheckContext): Map<string, HoldOutcome> {
  const outcomes = new Map<string, HoldOutcome>();
  const applied = acknowledged(context);
  for (const record of applied) if (record.operation.kind === 'hold') outcomes.set(record.answer!.id!, { hold: record, settledBy: [] });
  for (const record of applied) {
    if (record.operation.kind !== 'capture' && record.operation.kind !== 'void') continue;
    const outcome = outcomes.get(record.operation.target!);
    assert.ok(outcome, `${record.operation.kind} ${record.operation.key} names a hold no client was told of`);
    outcome.settledBy.push(record);
  }
  return outcomes;
}

/** Each acknowledged hold exists exactly once, a refused one not at all; a capture's transaction exists exactly once, naming its hold. */
export async function assertCapturesAppliedOnce(context: CheckContext): Promise<void> {
  const outcomes = holdOutcomes(context);
  const twice = [...outcomes.values()].filter((outcome) => outcome.settledBy.length > 1);
  assert.equal(twice.length, 0, `holds both captured and voided, or captured twice ${examples(twice.map((outcome) => outcome.settledBy.map((record) => record.answer)))}`);

  const stored = await context.pool.query<{ key: string | null; ids: string[] }>(`SELECT metadata ->> 'operation_key' AS key, array_agg(id::text) AS ids FROM holds GROUP BY 1`);
  const byKey = new Map(stored.rows.map((row) => [row.key, row.ids]));
  const holdRequests = context.records.filter((record) => record.operation.kind === 'hold');
  const disagreeing = holdRequests.filter((record) => {
    const ids = byKey.get(record.operation.key);
    return record.answer!.status === 201 ? ids?.length !== 1 || ids[0] !== record.answer!.id : ids !== undefined;
  });
  assert.equal(disagreeing.length, 0, `hold requests whose stored holds differ from the answer ${examples(disagreeing.map((record) => ({ key: record.operation.key, answer: record.answer!.status, stored: byKey.get(record.operation.key) })))}`);
  assert.equal(stored.rowCount, outcomes.size, 'no hold exists that no client was told of');

  const captures = await context.pool.query<{ hold_id: string; ids: string[] }>(
    `SELECT hold_id::text, array_agg(id::text) AS ids FROM ledger_transactions WHERE hold_id IS NOT NULL GROUP BY 1`,
  );
  const capturedBy = new Map(captures.rows.map((row) => [row.hold_id, row.ids]));
  const wrong = [...outcomes].filter(([id, outcome]) => {
    const capture = outcome.settledBy.find((record) => record.operation.kind === 'capture');
    const ids = capturedBy.get(id);
    return capture ? ids?.length !== 1 || ids[0] !== capture.answer!.transactionId : ids !== undefined;
  });
  assert.equal(wrong.length, 0, `holds whose capture transactions differ from the acknowledged capture ${examples(wrong.map(([id]) => ({ id, transactions: capturedBy.get(id) })))}`);
  assert.equal(captures.rowCount, [...outcomes.values()].filter((outcome) => outcome.settledBy.some((record) => record.operation.kind === 'capture')).length);
}

/** Each hold's state is its acknowledged capture's or void's, or pending; each account's pending sums add up its pending holds. */
export async function assertHoldsSettled(context: CheckContext): Promise<void> {
  const outcomes = holdOutcomes(context);
  const states = await context.pool.query<{ id: string; status: string; captured_amount: string; capture_transaction_id: string | null }>(
    `SELECT id::text, status, captured_amount::text, capture_transaction_id::text FROM holds`,
  );
  const wrongState = states.rows.filter((row) => {
    const settled = outcomes.get(row.id)?.settledBy[0];
    if (!settled) return row.status !== 'pending' || row.captured_amount !== '0';
    if (settled.operation.kind === 'void') return row.status !== 'voided';
    return row.status !== 'captured' || row.captured_amount !== settled.operation.amount.toString() || row.capture_transaction_id !== settled.answer!.transactionId;
  });
  assert.equal(wrongState.length, 0, `holds whose state differs from the acknowledged ledger ${examples(wrongState)}`);

  const pending = new Map(context.bank.accounts.map((account) => [account, { debits: 0n, credits: 0n }]));
  for (const outcome of outcomes.values()) {
    if (outcome.settledBy.length > 0) continue;
    const { source, destination, amount } = outcome.hold.operation;
    pending.get(source!)!.debits += amount;
    if (destination) pending.get(destination)!.credits += amount;
  }
  const read = await mapConcurrently(context.bank.accounts, CHECK_CONCURRENCY, async (account) => {
    const response = await fetch(`${context.serviceUrls()[0]}/v1/accounts/${account}`, { headers: { 'x-service-api-key': TEST_API_KEY } });
    return { account, ...((await response.json()) as { balance: string; available_balance: string; pending_debits: string; pending_credits: string }) };
  });
  const wrongSums = read.filter(({ account, balance, available_balance, pending_debits, pending_credits }) => {
    const expected = pending.get(account)!;
    return pending_debits !== expected.debits.toString() || pending_credits !== expected.credits.toString()
      || available_balance !== (BigInt(balance) - expected.debits).toString() || BigInt(available_balance) < 0n;
  });
  assert.equal(wrongSums.length, 0, `accounts whose pending sums or available balance differ from their pending holds ${examples(wrongSums.map((entry) => ({ ...entry, expected: String(pending.get(entry.account)!.debits) })))}`);
  const negative = await context.pool.query(`SELECT id, balance::text, pending_debits::text FROM accounts WHERE kind = 'user' AND balance - pending_debits < 0`);
  assert.deepEqual(negative.rows, [], 'no available balance is negative');
}
