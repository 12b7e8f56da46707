// Proves the remembered holds are the pending holds of confirmed commits only: a hold is known
// once committed pending, forgotten when a commit takes it out of pending or on request, and the
// holds written longest ago make room when the capacity is reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../src/ids.js';
import { CommittedHolds } from '../../src/ledger/committedHolds.js';
import type { HoldRow } from '../../src/ledger/ledgerRows.js';
import type { BatchPlan } from '../../src/ledger/planBatch.js';

function hold(id: string, status: HoldRow['status'] = 'pending'): HoldRow {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    id, source_account_id: newId(), destination_account_id: newId(), amount: 5n, captured_amount: 0n, currency: 'USD', status,
    expires_at: at, capture_transaction_id: null, description: null, metadata: {}, created_at: at, updated_at: at,
  };
}

function committing(newHolds: HoldRow[], changedHolds: HoldRow[] = []): BatchPlan {
  return { newHolds, changedHolds } as unknown as BatchPlan;
}

test('a pending hold is known once committed, and forgotten when it leaves pending', () => {
  const remembered = new CommittedHolds();
  const [a, b] = [newId(), newId()];
  assert.deepEqual(remembered.statesOf([]), new Map());
  remembered.rememberCommit(committing([hold(a), hold(b)]));
  assert.equal(remembered.statesOf([a, b])!.size, 2);
  remembered.rememberCommit(committing([], [hold(a, 'voided')]));
  assert.equal(remembered.statesOf([a]), undefined);
  assert.equal(remembered.statesOf([a, b]), undefined, 'all or nothing');
  assert.equal(remembered.statesOf([b])!.get(b)!.status, 'pending');
  remembered.forget([b]);
  assert.equal(remembered.statesOf([b]), undefined);
});

test('the holds written longest ago make room', () => {
  const remembered = new CommittedHolds(2);
  const [a, b, c] = [newId(), newId(), newId()];
  remembered.rememberCommit(committing([hold(a), hold(b)]));
  remembered.rememberCommit(committing([hold(c)]));
  assert.equal(remembered.statesOf([a]), undefined);
  assert.ok(remembered.statesOf([b, c]));
});
