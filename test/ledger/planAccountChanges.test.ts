// Proves the planner decides PATCHes and account controls within a batch: a PATCH's If-Match is
// compared with the account as its batch-mates left it, a change bumps the version once per PATCH
// with one settings row per account (merged) and one history row and event per PATCH, a frozen
// wallet's debits and a closed wallet's postings are refused while its credits and captures apply,
// the overdraft limit is spendable, and a PATCH of a row not read under the lock is a bug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settlementAccountId } from '../../src/ids.js';
import { accountETag } from '../../src/ledger/accountETag.js';
import type { AccountRow, HoldRow } from '../../src/ledger/ledgerRows.js';
import type { LedgerOperation, UpdateAccount } from '../../src/ledger/operations.js';
import type { DecidedOutcome } from '../../src/ledger/outcomes.js';
import { planBatch, type AccountState } from '../../src/ledger/planBatch.js';
import { planSettings } from '../support/ledgerSettings.js';

const NOW = new Date('2026-01-02T03:04:05.678Z');
const SETTINGS = planSettings(60_000);
const ALICE = '00000000-0000-7000-8000-00000000000a';
const BOB = '00000000-0000-7000-8000-00000000000b';
const HOLD = '00000000-0000-7000-8000-0000000000c1';
const SETTLEMENT = settlementAccountId('USD');

function account(id: string, balance: bigint, overrides: Partial<AccountRow> = {}): AccountRow {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    id, kind: 'user', currency: 'USD', balance, pending_debits: 0n, pending_credits: 0n, status: 'active', overdraft_limit: 0n,
    external_ref: null, metadata: {}, version: 3n, created_at: at, updated_at: at, ...overrides,
  };
}

function accounts(alice: Partial<AccountRow> = {}): Map<string, AccountRow> {
  return new Map([
    [ALICE, account(ALICE, 100n, alice)],
    [BOB, account(BOB, 0n)],
    [SETTLEMENT, account(SETTLEMENT, -100n, { kind: 'settlement' })],
  ]);
}

function update(fields: Partial<UpdateAccount>, ifMatch: UpdateAccount['ifMatch'] = '*'): LedgerOperation {
  return {
    kind: 'update_account', accountId: ALICE, ifMatch, status: undefined, overdraftLimit: undefined, metadata: undefined,
    requestId: 'req-1', idempotency: undefined, ...fields,
  };
}

let keys = 0;
function claim() {
  keys += 1;
  return { key: `k${keys}`, fingerprint: `f${keys}` };
}
const withdraw = (accountId: string, amount: bigint): LedgerOperation => ({
  kind: 'withdrawal', accountId, amount, currency: undefined, description: null, metadata: {}, idempotency: claim(),
});
const deposit = (accountId: string, amount: bigint): LedgerOperation => ({
  kind: 'deposit', accountId, amount, currency: undefined, description: null, metadata: {}, idempotency: claim(),
});
const holdFrom = (accountId: string, amount: bigint): LedgerOperation => ({
  kind: 'create_hold', holdId: HOLD, sourceAccountId: accountId, destinationAccountId: BOB, amount, currency: undefined,
  expiresAt: new Date(NOW.getTime() + 60_000), description: null, metadata: {}, idempotency: claim(),
});

function codes(results: DecidedOutcome[]): string[] {
  return results.map((outcome) => (outcome.kind === 'rejected' ? outcome.rejection.code : outcome.kind));
}

test("If-Match is compared with the account as the batch's earlier operations left it", () => {
  const etag = accountETag(account(ALICE, 100n));
  const plan = planBatch([update({ status: 'frozen' }, [etag]), deposit(ALICE, 1n), update({ status: 'active' }, [etag])], accounts(), new Set(), NOW, SETTINGS);
  assert.deepEqual(codes(plan.results), ['account_updated', 'posted', 'precondition_failed']);
  assert.deepEqual(codes(planBatch([update({ status: 'frozen' }, ['"other"'])], accounts(), new Set(), NOW, SETTINGS).results), ['precondition_failed']);
});

test('each PATCH bumps the version and appends history; the account gets one settings row, merged', () => {
  const plan = planBatch([update({ status: 'frozen' }), update({ overdraftLimit: 20n, metadata: { a: 1 } })], accounts(), new Set(), NOW, SETTINGS);
  assert.deepEqual(codes(plan.results), ['account_updated', 'account_updated']);
  assert.deepEqual(plan.accountSettings, [{ id: ALICE, status: 'frozen', overdraft_limit: 20n, metadata: { a: 1 } }]);
  assert.deepEqual(plan.balanceUpdates.map((row) => [row.id, row.version]), [[ALICE, 5n]]);
  assert.deepEqual(plan.accountHistory.map((row) => [row.version, row.changes]), [
    [4n, { status: { from: 'active', to: 'frozen' } }],
    [5n, { overdraft_limit: { from: '0', to: '20' }, metadata: { from: {}, to: { a: 1 } } }],
  ]);
  assert.deepEqual(plan.events.map((event) => [event.eventType, (event.payload!.data as { change: string }).change]), [
    ['account.updated', 'account.frozen'], ['account.updated', 'account.overdraft_limit_changed'],
  ]);
});

test('a PATCH that changes nothing writes nothing', () => {
  const plan = planBatch([update({ status: 'active', overdraftLimit: 0n, metadata: {} })], accounts(), new Set(), NOW, SETTINGS);
  assert.deepEqual(codes(plan.results), ['account_updated']);
  assert.deepEqual([plan.balanceUpdates, plan.accountSettings, plan.accountHistory, plan.events], [[], [], [], []]);
});

test('a frozen wallet refuses debits and new holds in the same batch, and still takes credits', () => {
  const plan = planBatch([update({ status: 'frozen' }), withdraw(ALICE, 1n), holdFrom(ALICE, 1n), deposit(ALICE, 5n)], accounts(), new Set(), NOW, SETTINGS);
  assert.deepEqual(codes(plan.results), ['account_updated', 'account_frozen', 'account_frozen', 'posted']);
});

test('a hold made before the freeze is captured and a void releases', () => {
  const hold: HoldRow = {
    id: HOLD, source_account_id: ALICE, destination_account_id: BOB, amount: 30n, captured_amount: 0n, currency: 'USD', status: 'pending',
    expires_at: new Date(NOW.getTime() + 60_000), capture_transaction_id: null, description: null, metadata: {}, created_at: NOW, updated_at: NOW,
  };
  const locked = accounts({ status: 'frozen', pending_debits: 30n });
  locked.set(BOB, account(BOB, 0n, { pending_credits: 30n }));
  const capture: LedgerOperation = { kind: 'capture_hold', holdId: HOLD, sourceAccountId: ALICE, destinationAccountId: BOB, amount: undefined, idempotency: claim() };
  const plan = planBatch([capture], locked, new Set(), NOW, SETTINGS, { holds: new Map([[HOLD, hold]]), originals: new Map() });
  assert.deepEqual(codes(plan.results), ['posted']);
});

test('closing needs an empty wallet; a closed wallet refuses credits and debits and never reopens', () => {
  assert.deepEqual(codes(planBatch([update({ status: 'closed' })], accounts(), new Set(), NOW, SETTINGS).results), ['account_not_empty']);
  const plan = planBatch(
    [update({ status: 'closed' }), deposit(ALICE, 1n), withdraw(ALICE, 1n), update({ status: 'active' }), update({ overdraftLimit: 5n }), update({ metadata: { why: 'left' } })],
    new Map([[ALICE, account(ALICE, 0n)], [SETTLEMENT, account(SETTLEMENT, 0n, { kind: 'settlement' })]]), new Set(), NOW, SETTINGS,
  );
  assert.deepEqual(codes(plan.results), ['account_updated', 'account_closed', 'account_closed', 'account_closed', 'account_closed', 'account_updated']);
});

test('the overdraft limit is spendable, and is not lowered below what is used', () => {
  const plan = planBatch([update({ overdraftLimit: 50n }), withdraw(ALICE, 151n), withdraw(ALICE, 150n), update({ overdraftLimit: 49n })], accounts(), new Set(), NOW, SETTINGS);
  assert.deepEqual(codes(plan.results), ['account_updated', 'insufficient_funds', 'posted', 'overdraft_limit_too_low']);
  assert.equal(plan.balanceUpdates.find((row) => row.id === ALICE)?.balance, -50n);
});

test('settlement accounts are fixed, unknown accounts not found', () => {
  assert.deepEqual(codes(planBatch([update({ accountId: SETTLEMENT, status: 'frozen' })], accounts(), new Set(), NOW, SETTINGS).results), ['settlement_account_fixed']);
  assert.deepEqual(codes(planBatch([update({ accountId: '00000000-0000-7000-8000-0000000000ff' })], accounts(), new Set(), NOW, SETTINGS).results), ['account_not_found']);
});

test('a PATCH planned on a remembered state (without its metadata) is a bug, not a guess', () => {
  const { external_ref: _ref, metadata: _metadata, created_at: _created, updated_at: _updated, ...remembered } = account(ALICE, 100n);
  const state: AccountState = remembered;
  assert.throws(() => planBatch([update({ status: 'frozen' })], new Map([[ALICE, state]]), new Set(), NOW, SETTINGS), /not read under the batch's lock/);
});
