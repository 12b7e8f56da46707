// Proves the batch planner decides each operation alone and in order: rejections change nothing,
// balances and sequences run on across a batch, each changed account gets one update, and every
// outcome is returned as typed data with its facts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settlementAccountId } from '../../src/ids.js';
import type { AccountRow } from '../../src/ledger/ledgerRows.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import type { DecidedOutcome, Posted, Rejection } from '../../src/ledger/outcomes.js';
import { planBatch } from '../../src/ledger/planBatch.js';
import { AMOUNT_MAX } from '../../src/money.js';
import { planSettings } from '../support/ledgerSettings.js';

const NOW = new Date('2026-01-02T03:04:05.678Z');
const SETTINGS = planSettings(60_000);
const ALICE = '00000000-0000-7000-8000-00000000000a';
const BOB = '00000000-0000-7000-8000-00000000000b';
const EURO = '00000000-0000-7000-8000-00000000000e';

function account(id: string, balance: bigint, currency = 'USD', kind: AccountRow['kind'] = 'user'): AccountRow {
  const at = new Date('2026-01-01T00:00:00Z');
  return { id, kind, currency, balance, pending_debits: 0n, pending_credits: 0n, status: 'active', overdraft_limit: 0n, external_ref: null, metadata: {}, version: 3n, created_at: at, updated_at: at };
}

function accounts(): Map<string, AccountRow> {
  const settlement = settlementAccountId('USD');
  return new Map([
    [ALICE, account(ALICE, 100n)],
    [BOB, account(BOB, 0n)],
    [EURO, account(EURO, 50n, 'EUR')],
    [settlement, account(settlement, -100n, 'USD', 'settlement')],
  ]);
}

let keys = 0;
function transfer(from: string, to: string, amount: bigint, currency?: string): LedgerOperation {
  return {
    kind: 'transfer', sourceAccountId: from, destinationAccountId: to, amount, currency, description: null, metadata: {},
    idempotency: { key: `k${++keys}`, fingerprint: `f${keys}` },
  };
}

function rejectionOf(outcome: DecidedOutcome | undefined): Rejection {
  assert.equal(outcome?.kind, 'rejected');
  return outcome.rejection;
}

function postedOf(outcome: DecidedOutcome | undefined): Posted {
  assert.equal(outcome?.kind, 'posted');
  return outcome;
}

test('a rejected operation leaves the state its batch-mates see unchanged', () => {
  const plan = planBatch(
    [transfer(ALICE, BOB, 60n), transfer(ALICE, BOB, 60n), transfer(ALICE, BOB, 40n)],
    accounts(), new Set(), NOW, SETTINGS,
  );
  assert.deepEqual(plan.results.map((outcome) => outcome.kind), ['posted', 'rejected', 'posted']);
  assert.deepEqual(rejectionOf(plan.results[1]), {
    code: 'insufficient_funds', accountId: ALICE, currency: 'USD', availableBalance: 40n, amount: 60n,
  });
  assert.equal(plan.transactions.length, 2);
  assert.deepEqual(
    plan.entries.filter((entry) => entry.account_id === ALICE).map((entry) => [entry.sequence, entry.balance_after]),
    [[4n, 40n], [5n, 0n]],
  );
  // One update per account, with the final balance and version.
  assert.deepEqual(
    plan.balanceUpdates.map((update) => [update.id, update.balance, update.version]).sort(),
    [[ALICE, 0n, 5n], [BOB, 100n, 5n]].sort(),
  );
  // Every decided outcome is stored under its key, rejections included.
  assert.equal(plan.idempotencyRows.length, 3);
  assert.equal(plan.events.length, 2);
});

test('transfers check accounts, currencies and sameness before money moves', () => {
  const missing = '00000000-0000-7000-8000-0000000000ff';
  const plan = planBatch(
    [
      transfer(ALICE, ALICE, 1n),
      transfer(ALICE, missing, 1n),
      transfer(ALICE, EURO, 1n),
      transfer(ALICE, BOB, 1n, 'EUR'),
      transfer(ALICE, settlementAccountId('USD'), 1n),
    ],
    accounts(), new Set(), NOW, SETTINGS,
  );
  assert.deepEqual(plan.results.map(rejectionOf), [
    { code: 'same_account' },
    { code: 'account_not_found', accountId: missing, role: 'destination', isSettlement: false },
    { code: 'currencies_differ', sourceCurrency: 'USD', destinationCurrency: 'EUR' },
    { code: 'currency_mismatch', accountId: ALICE, accountCurrency: 'USD', requestCurrency: 'EUR' },
    { code: 'account_not_found', accountId: settlementAccountId('USD'), role: 'destination', isSettlement: true },
  ]);
  assert.equal(plan.transactions.length, 0);
  assert.equal(plan.balanceUpdates.length, 0);
});

test('a credit past 10^38 - 1 is rejected as balance_overflow', () => {
  const state = accounts();
  state.get(BOB)!.balance = AMOUNT_MAX;
  const plan = planBatch([transfer(ALICE, BOB, 1n)], state, new Set(), NOW, SETTINGS);
  assert.deepEqual(rejectionOf(plan.results[0]), { code: 'balance_overflow', accountId: BOB });
});

test('deposits and withdrawals post against the settlement account of the currency', () => {
  const settlement = settlementAccountId('USD');
  const deposit: LedgerOperation = {
    kind: 'deposit', accountId: BOB, amount: 30n, currency: 'USD', description: 'top up', metadata: { a: 1 },
    idempotency: { key: 'd', fingerprint: 'd' },
  };
  const withdrawal: LedgerOperation = { ...deposit, kind: 'withdrawal', accountId: ALICE, idempotency: { key: 'w', fingerprint: 'w' } };
  const plan = planBatch([deposit, withdrawal], accounts(), new Set(), NOW, SETTINGS);
  const [deposited, withdrawn] = plan.results.map((outcome) => postedOf(outcome).transaction);
  assert.equal(deposited!.source_account_id, settlement);
  assert.equal(deposited!.destination_account_id, BOB);
  assert.equal(withdrawn!.source_account_id, ALICE);
  assert.equal(withdrawn!.destination_account_id, settlement);
  const settlementUpdate = plan.balanceUpdates.find((update) => update.id === settlement)!;
  assert.equal(settlementUpdate.balance, -100n - 30n + 30n);
  assert.equal(settlementUpdate.version, 5n);
});

test('a key repeated inside one batch replays the first outcome, or is refused for another request', () => {
  const first = transfer(ALICE, BOB, 10n);
  const same = { ...first };
  const other = { ...transfer(ALICE, BOB, 20n), idempotency: { key: first.idempotency!.key, fingerprint: 'other' } };
  const plan = planBatch([first, same, other], accounts(), new Set(), NOW, SETTINGS);
  assert.deepEqual(plan.results[1], { ...plan.results[0], replayed: true });
  assert.deepEqual(rejectionOf(plan.results[2]), { code: 'idempotency_key_reused' });
  assert.equal(plan.transactions.length, 1);
  assert.equal(plan.idempotencyRows.length, 1);
});

test('external_ref is unique across the database and within the batch', () => {
  const open = (ref: string): LedgerOperation => ({
    kind: 'open_account', accountId: `00000000-0000-7000-8000-0000000001${ref.length}${keys++ % 10}`, currency: 'USD', externalRef: ref,
    metadata: {}, idempotency: undefined,
  });
  const plan = planBatch([open('taken'), open('fresh'), open('fresh')], new Map(), new Set(['taken']), NOW, SETTINGS);
  assert.deepEqual(plan.results.map((outcome) => outcome.kind), ['rejected', 'account_opened', 'rejected']);
  assert.deepEqual(rejectionOf(plan.results[2]), { code: 'external_ref_taken', externalRef: 'fresh' });
  assert.equal(plan.newAccounts.length, 1);
  assert.equal(plan.events[0]!.eventType, 'account.created');
});
