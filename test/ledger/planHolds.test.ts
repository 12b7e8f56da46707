// Proves the planner decides holds and reversals in order against the batch's working state: a
// hold reserves on both pending sums and refuses what is not available; a capture and a void of
// one hold in one batch have one winner; a capture past expiry, beyond the hold or of a hold no
// longer pending is refused with its facts; the sweep's expiry leaves holds not due alone; and two
// reversals of one transaction in one batch see each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settlementAccountId } from '../../src/ids.js';
import type { AccountRow, HoldRow, PostedTransactionRow } from '../../src/ledger/ledgerRows.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import type { DecidedOutcome, Rejection } from '../../src/ledger/outcomes.js';
import { planBatch, type LockedReferences, type OriginalTransaction } from '../../src/ledger/planBatch.js';
import { planSettings } from '../support/ledgerSettings.js';

const NOW = new Date('2026-01-02T03:04:05.678Z');
const LATER = new Date(NOW.getTime() + 3_600_000);
const SETTINGS = planSettings(60_000);
const ALICE = '00000000-0000-7000-8000-00000000000a';
const BOB = '00000000-0000-7000-8000-00000000000b';
const HOLD = '00000000-0000-7000-8000-0000000000h1'.replace('h', 'c');
const ORIGINAL = '00000000-0000-7000-8000-0000000000f1';
const SETTLEMENT = settlementAccountId('USD');

function account(id: string, balance: bigint, kind: AccountRow['kind'] = 'user', pendingDebits = 0n, pendingCredits = 0n): AccountRow {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    id, kind, currency: 'USD', balance, pending_debits: pendingDebits, pending_credits: pendingCredits, status: 'active', overdraft_limit: 0n,
    external_ref: null, metadata: {}, version: 3n, created_at: at, updated_at: at,
  };
}

/** Alice holds 100, of which 40 are held for Bob by HOLD. */
function accounts(): Map<string, AccountRow> {
  return new Map([
    [ALICE, account(ALICE, 100n, 'user', 40n)],
    [BOB, account(BOB, 0n, 'user', 0n, 40n)],
    [SETTLEMENT, account(SETTLEMENT, -100n, 'settlement')],
  ]);
}

function pendingHold(overrides: Partial<HoldRow> = {}): HoldRow {
  return {
    id: HOLD, source_account_id: ALICE, destination_account_id: BOB, amount: 40n, captured_amount: 0n, currency: 'USD', status: 'pending',
    expires_at: LATER, capture_transaction_id: null, description: 'ride', metadata: {}, created_at: NOW, updated_at: NOW, ...overrides,
  };
}

function references(hold = pendingHold(), originals = new Map<string, OriginalTransaction>()): LockedReferences {
  return { holds: new Map([[hold.id, hold]]), originals };
}

let keys = 0;
const claim = () => ({ key: `k${++keys}`, fingerprint: `f${keys}` });
const onHold = { holdId: HOLD, sourceAccountId: ALICE, destinationAccountId: BOB };
const capture = (amount?: bigint): LedgerOperation => ({ kind: 'capture_hold', ...onHold, amount, idempotency: claim() });
const voidHold = (): LedgerOperation => ({ kind: 'void_hold', ...onHold, idempotency: claim() });
const expire = (): LedgerOperation => ({ kind: 'expire_hold', ...onHold, idempotency: undefined });
function createHold(amount: bigint, destinationAccountId: string | null = BOB, currency?: string): LedgerOperation {
  return {
    kind: 'create_hold', holdId: '00000000-0000-7000-8000-0000000000c2', sourceAccountId: ALICE, destinationAccountId, amount, currency,
    expiresAt: LATER, description: null, metadata: {}, idempotency: claim(),
  };
}
const reverse = (amount?: bigint): LedgerOperation => ({
  kind: 'reverse_transaction', transactionId: ORIGINAL, originalSourceAccountId: BOB, originalDestinationAccountId: ALICE, amount,
  description: null, metadata: {}, idempotency: claim(),
});

function rejectionOf(outcome: DecidedOutcome | undefined): Rejection {
  assert.equal(outcome?.kind, 'rejected');
  return outcome.rejection;
}

function pendingOf(plan: ReturnType<typeof planBatch>, id: string): [bigint, bigint, bigint] | undefined {
  const update = plan.balanceUpdates.find((candidate) => candidate.id === id);
  return update && [update.balance, update.pendingDebits, update.pendingCredits];
}

test('a hold reserves on both pending sums; what is held is not available to the next hold or transfer', () => {
  const transfer: LedgerOperation = {
    kind: 'transfer', sourceAccountId: ALICE, destinationAccountId: BOB, amount: 41n, currency: undefined, description: null, metadata: {},
    idempotency: claim(),
  };
  const plan = planBatch([createHold(20n), createHold(41n), transfer], accounts(), new Set(), NOW, SETTINGS);
  assert.equal(plan.results[0]!.kind, 'hold_changed');
  assert.deepEqual(rejectionOf(plan.results[1]), { code: 'insufficient_funds', accountId: ALICE, currency: 'USD', availableBalance: 40n, amount: 41n });
  assert.deepEqual(rejectionOf(plan.results[2]), { code: 'insufficient_funds', accountId: ALICE, currency: 'USD', availableBalance: 40n, amount: 41n });
  assert.deepEqual(pendingOf(plan, ALICE), [100n, 60n, 0n]);
  assert.deepEqual(pendingOf(plan, BOB), [0n, 0n, 60n]);
  assert.deepEqual(plan.holdChanges.map((change) => [change.status, change.amount]), [['pending', 20n]]);
  assert.deepEqual(plan.newHolds.map((hold) => [hold.status, hold.amount]), [['pending', 20n]]);
  assert.equal(plan.changedHolds.length, 0);
  assert.deepEqual(plan.events.map((event) => event.eventType), ['hold.created']);
});

test('a hold without a destination reserves on the settlement account; a hold is refused as a transfer would be', () => {
  const plan = planBatch([createHold(10n, null), createHold(1n, ALICE), createHold(1n, BOB, 'EUR'), createHold(1n, SETTLEMENT)],
    accounts(), new Set(), NOW, SETTINGS);
  assert.deepEqual(pendingOf(plan, SETTLEMENT), [-100n, 0n, 10n]);
  assert.deepEqual(rejectionOf(plan.results[1]), { code: 'same_account' });
  assert.equal(rejectionOf(plan.results[2]).code, 'currency_mismatch');
  assert.deepEqual(rejectionOf(plan.results[3]), { code: 'account_not_found', accountId: SETTLEMENT, role: 'destination', isSettlement: true });
});

test('a capture and a void of one hold in one batch: the first wins, the second is hold_not_pending', () => {
  const captureFirst = planBatch([capture(), voidHold()], accounts(), new Set(), NOW, SETTINGS, references());
  assert.equal(captureFirst.results[0]!.kind, 'posted');
  assert.deepEqual(rejectionOf(captureFirst.results[1]), { code: 'hold_not_pending', holdId: HOLD, status: 'captured' });
  assert.deepEqual(pendingOf(captureFirst, ALICE), [60n, 0n, 0n]);
  assert.deepEqual(pendingOf(captureFirst, BOB), [40n, 0n, 0n]);
  assert.equal(captureFirst.newHolds.length, 0);
  assert.equal(captureFirst.changedHolds.length, 1);
  assert.equal(captureFirst.changedHolds[0]!.capture_transaction_id, captureFirst.transactions[0]!.id);
  assert.equal(captureFirst.transactions[0]!.hold_id, HOLD);

  const voidFirst = planBatch([voidHold(), capture()], accounts(), new Set(), NOW, SETTINGS, references());
  assert.equal(voidFirst.results[0]!.kind, 'hold_changed');
  assert.deepEqual(rejectionOf(voidFirst.results[1]), { code: 'hold_not_pending', holdId: HOLD, status: 'voided' });
  assert.deepEqual(pendingOf(voidFirst, ALICE), [100n, 0n, 0n]);
  assert.equal(voidFirst.transactions.length, 0);
  assert.deepEqual(voidFirst.holdChanges.map((change) => change.status), ['voided']);
});

test('a partial capture releases the rest; more than the hold is capture_exceeds_hold; a missing hold is hold_not_found', () => {
  const plan = planBatch([capture(41n), capture(15n)], accounts(), new Set(), NOW, SETTINGS, references());
  assert.deepEqual(rejectionOf(plan.results[0]), { code: 'capture_exceeds_hold', holdId: HOLD, holdAmount: 40n, amount: 41n });
  assert.equal(plan.transactions[0]!.amount, 15n);
  assert.deepEqual(pendingOf(plan, ALICE), [85n, 0n, 0n]);
  assert.deepEqual(plan.holdChanges, [{ hold_id: HOLD, status: 'captured', amount: 15n, transaction_id: plan.transactions[0]!.id }]);
  const none = planBatch([capture()], accounts(), new Set(), NOW, SETTINGS);
  assert.deepEqual(rejectionOf(none.results[0]), { code: 'hold_not_found', holdId: HOLD });
});

test('past its expiry a hold is expired for a capture or a void; the sweep expires only what is due', () => {
  const late = new Date(LATER.getTime() + 1);
  const plan = planBatch([capture(), voidHold(), expire()], accounts(), new Set(), late, SETTINGS, references());
  assert.deepEqual(rejectionOf(plan.results[0]), { code: 'hold_not_pending', holdId: HOLD, status: 'expired' });
  assert.deepEqual(rejectionOf(plan.results[1]), { code: 'hold_not_pending', holdId: HOLD, status: 'expired' });
  assert.equal(plan.results[2]!.kind, 'hold_changed');
  assert.deepEqual(pendingOf(plan, ALICE), [100n, 0n, 0n]);
  assert.deepEqual(plan.events.map((event) => event.eventType), ['hold.expired']);

  const early = planBatch([expire()], accounts(), new Set(), NOW, SETTINGS, references());
  assert.equal(early.results[0]!.kind, 'rejected');
  assert.equal(early.holdChanges.length, 0);
  assert.equal(early.idempotencyRows.length, 0);
});

test('a capture posts a withdrawal when the hold pays the settlement account, without checking available again', () => {
  const withdrawalHold = pendingHold({ destination_account_id: SETTLEMENT });
  const locked = accounts();
  // Alice's whole balance is held: the capture takes reserved money, which is allowed.
  locked.set(ALICE, account(ALICE, 40n, 'user', 40n));
  locked.set(BOB, account(BOB, 0n));
  locked.set(SETTLEMENT, account(SETTLEMENT, -100n, 'settlement', 0n, 40n));
  const plan = planBatch([{ ...capture(), destinationAccountId: SETTLEMENT } as LedgerOperation], locked, new Set(), NOW, SETTINGS, references(withdrawalHold));
  assert.equal(plan.transactions[0]!.type, 'withdrawal');
  assert.deepEqual(pendingOf(plan, ALICE), [0n, 0n, 0n]);
  assert.deepEqual(plan.events.map((event) => event.eventType), ['withdrawal.posted', 'hold.captured']);
});

test('two reversals of one transaction in one batch see each other; a reversal is not reversible', () => {
  const original: OriginalTransaction = {
    transaction: { id: ORIGINAL, type: 'transfer', amount: 50n, source_account_id: BOB, destination_account_id: ALICE },
    reversedAmount: 10n,
  };
  const originals = new Map([[ORIGINAL, original]]);
  const plan = planBatch([reverse(30n), reverse(11n), reverse()], accounts(), new Set(), NOW, SETTINGS, references(pendingHold(), originals));
  assert.equal(plan.results[0]!.kind, 'posted');
  assert.deepEqual(rejectionOf(plan.results[1]), {
    code: 'reversal_exceeds_original', transactionId: ORIGINAL, originalAmount: 50n, reversedAmount: 40n, amount: 11n,
  });
  assert.equal(plan.results[2]!.kind, 'posted');
  assert.deepEqual(plan.transactions.map((transaction: PostedTransactionRow) => [transaction.type, transaction.amount, transaction.reverses_transaction_id]), [
    ['reversal', 30n, ORIGINAL], ['reversal', 10n, ORIGINAL],
  ]);
  assert.deepEqual(original.reversedAmount, 10n, "the caller's row stays as read");
  const reversal = { ...original, transaction: { ...original.transaction, type: 'reversal' as const } };
  const again = planBatch([reverse()], accounts(), new Set(), NOW, SETTINGS, references(pendingHold(), new Map([[ORIGINAL, reversal]])));
  assert.deepEqual(rejectionOf(again.results[0]), { code: 'not_reversible', transactionId: ORIGINAL });
  // Alice holds 40 of her 80 for a hold: a reversal may not take it.
  const locked = accounts();
  locked.set(ALICE, account(ALICE, 80n, 'user', 40n));
  const short = planBatch([reverse(41n)], locked, new Set(), NOW, SETTINGS, references(pendingHold(), new Map([[ORIGINAL, { ...original, reversedAmount: 0n }]])));
  assert.deepEqual(rejectionOf(short.results[0]), { code: 'insufficient_funds', accountId: ALICE, currency: 'USD', availableBalance: 40n, amount: 41n });
  const unknown = planBatch([reverse()], accounts(), new Set(), NOW, SETTINGS);
  assert.deepEqual(rejectionOf(unknown.results[0]), { code: 'transaction_not_found', transactionId: ORIGINAL });
});
