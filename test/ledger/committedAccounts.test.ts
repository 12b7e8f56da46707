// Proves the remembered account states stay bounded and small: past its capacity the account
// written longest ago makes room, a newer version is never replaced by an older one, and no
// metadata is kept, however much an account carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId, settlementAccountId } from '../../src/ids.js';
import { CommittedAccounts } from '../../src/ledger/committedAccounts.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import { planBatch, type AccountState, type BatchPlan } from '../../src/ledger/planBatch.js';
import { planSettings } from '../support/ledgerSettings.js';

const settings = planSettings(60_000);
const none = new Map<string, AccountState>();

/** A real plan that opens one account per id. */
function opening(...ids: string[]): BatchPlan {
  const operations = ids.map((accountId): LedgerOperation => ({
    kind: 'open_account', accountId, currency: 'USD', externalRef: null, metadata: { note: 'x'.repeat(3_000) }, idempotency: undefined,
  }));
  return planBatch(operations, none, new Set(), new Date(), settings);
}

/** A real plan that deposits into `state`'s account, moving it to the next version. */
function depositing(state: AccountState, settlement: AccountState): { before: Map<string, AccountState>; plan: BatchPlan } {
  const before = new Map([[state.id, state], [settlement.id, settlement]]);
  const operation: LedgerOperation = {
    kind: 'deposit', accountId: state.id, amount: 5n, currency: undefined, description: null, metadata: {},
    idempotency: { key: newId(), fingerprint: 'f' },
  };
  return { before, plan: planBatch([operation], before, new Set(), new Date(), settings) };
}

test('past its capacity, the account written longest ago makes room', () => {
  const remembered = new CommittedAccounts(3);
  const [a, b, c, d] = [newId(), newId(), newId(), newId()];
  remembered.rememberCommit(none, opening(a, b));
  remembered.rememberCommit(none, opening(c));
  // Writing a moves it behind b and c.
  const settlement: AccountState = { id: settlementAccountId('USD'), kind: 'settlement', currency: 'USD', balance: 0n, version: 0n, pending_debits: 0n, pending_credits: 0n, status: 'active', overdraft_limit: 0n };
  const written = depositing(remembered.statesOf([a])!.get(a)!, settlement);
  remembered.rememberCommit(written.before, written.plan);
  // a, b, c and the settlement account: b goes.
  assert.equal(remembered.size, 3);
  assert.equal(remembered.statesOf([b]), undefined);
  assert.equal(remembered.statesOf([a, c, settlement.id])!.get(a)!.balance, 5n);
  remembered.rememberCommit(none, opening(d));
  assert.equal(remembered.statesOf([c]), undefined);
  assert.ok(remembered.statesOf([a, settlement.id, d]));
});

test('a newer version is never replaced by an older one', () => {
  const remembered = new CommittedAccounts();
  const settlement: AccountState = { id: settlementAccountId('USD'), kind: 'settlement', currency: 'USD', balance: 0n, version: 7n, pending_debits: 0n, pending_credits: 0n, status: 'active', overdraft_limit: 0n };
  const account: AccountState = { id: newId(), kind: 'user', currency: 'USD', balance: 10n, version: 3n, pending_debits: 0n, pending_credits: 0n, status: 'active', overdraft_limit: 0n };
  const first = depositing(account, settlement);
  remembered.rememberCommit(first.before, first.plan);
  // Another writer's older view of the same accounts arrives later.
  remembered.rememberCommit(new Map([[account.id, account], [settlement.id, settlement]]), opening());
  assert.deepEqual(remembered.statesOf([account.id])!.get(account.id), { ...account, balance: 15n, version: 4n });
  assert.equal(remembered.statesOf([settlement.id])!.get(settlement.id)!.version, 8n);
});

test('a remembered account holds no metadata', () => {
  const remembered = new CommittedAccounts();
  const id = newId();
  remembered.rememberCommit(none, opening(id));
  assert.deepEqual(Object.keys(remembered.statesOf([id])!.get(id)!).sort(), ['balance', 'currency', 'id', 'kind', 'overdraft_limit', 'pending_credits', 'pending_debits', 'status', 'version']);
});
