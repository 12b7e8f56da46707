// Proves how a batch writes its holds: a hold created and captured in one batch is inserted once,
// whole, in the state the batch leaves it; a hold made before gets only its new state, its fixed
// columns as created; and a batch that names a hold to change which is not there writes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../src/ids.js';
import { applyBatchWithRecovery } from '../../src/ledger/applyBatchWithRecovery.js';
import type { LedgerContext } from '../../src/ledger/ledgerContext.js';
import type { HoldRow } from '../../src/ledger/ledgerRows.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import type { BatchPlan } from '../../src/ledger/planBatch.js';
import { writeBatch } from '../../src/ledger/sql/writeBatch.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { quietLedgerContext } from '../support/ledgerSettings.js';

let database: TestDatabase;
let ledger: LedgerContext;
let keys = 0;
const claim = () => ({ key: `hold-rows-${++keys}`, fingerprint: `fp-${keys}` });

before(async () => {
  database = await createTestDatabase(4);
  ledger = quietLedgerContext(database.pool);
});
after(() => database.drop());

async function fundedPair(): Promise<[string, string]> {
  const [source, destination] = [newId(), newId()];
  await applyBatchWithRecovery(ledger, [source, destination].map((accountId) => (
    { kind: 'open_account', accountId, currency: 'USD', externalRef: null, metadata: {}, idempotency: undefined })));
  await applyBatchWithRecovery(ledger, [{ kind: 'deposit', accountId: source, amount: 100n, currency: undefined, description: null, metadata: {}, idempotency: claim() }]);
  return [source, destination];
}

function createHold(holdId: string, sourceAccountId: string, destinationAccountId: string): LedgerOperation {
  return {
    kind: 'create_hold', holdId, sourceAccountId, destinationAccountId, amount: 40n, currency: undefined,
    expiresAt: new Date('2099-01-01T00:00:00Z'), description: 'ride', metadata: { trip: 't-7' }, idempotency: claim(),
  };
}

async function holdRow(id: string): Promise<Record<string, unknown>> {
  const result = await database.pool.query(
    `SELECT status, amount::text, captured_amount::text, capture_transaction_id, description, metadata, expires_at,
            created_at, updated_at, source_account_id, destination_account_id FROM holds WHERE id = $1`, [id]);
  return result.rows[0];
}

async function changesOf(id: string): Promise<string[][]> {
  const result = await database.pool.query<{ status: string; amount: string }>(
    'SELECT status, amount::text FROM hold_changes WHERE hold_id = $1 ORDER BY created_at, status DESC', [id]);
  return result.rows.map((row) => [row.status, row.amount]);
}

test('a hold created and captured in one batch is inserted once, as the batch leaves it', async () => {
  const [source, destination] = await fundedPair();
  const holdId = newId();
  const onHold = { holdId, sourceAccountId: source, destinationAccountId: destination };
  const [created, captured] = await applyBatchWithRecovery(ledger, [
    createHold(holdId, source, destination),
    { kind: 'capture_hold', ...onHold, amount: 15n, idempotency: claim() },
  ]);
  assert.equal(created!.kind, 'hold_changed');
  assert.equal(captured!.kind, 'posted');
  const row = await holdRow(holdId);
  assert.equal(row.status, 'captured');
  assert.equal(row.captured_amount, '15');
  assert.equal(row.capture_transaction_id, captured!.kind === 'posted' ? captured!.transaction.id : undefined);
  assert.deepEqual([row.amount, row.description, row.metadata, row.source_account_id], ['40', 'ride', { trip: 't-7' }, source]);
  assert.deepEqual(row.created_at, row.updated_at);
  assert.deepEqual(await changesOf(holdId), [['pending', '40'], ['captured', '15']]);
});

test('a hold made before gets only its new state: its fixed columns stay as created', async () => {
  const [source, destination] = await fundedPair();
  const holdId = newId();
  await applyBatchWithRecovery(ledger, [createHold(holdId, source, destination)]);
  const before = await holdRow(holdId);
  const [voided] = await applyBatchWithRecovery(ledger, [
    { kind: 'void_hold', holdId, sourceAccountId: source, destinationAccountId: destination, idempotency: claim() },
  ]);
  assert.equal(voided!.kind, 'hold_changed');
  const after = await holdRow(holdId);
  assert.equal(after.status, 'voided');
  assert.ok((after.updated_at as Date) > (before.updated_at as Date));
  const fixed = ({ status, updated_at, ...rest }: Record<string, unknown>) => rest;
  assert.deepEqual(fixed(after), fixed(before));
  assert.deepEqual(await changesOf(holdId), [['pending', '40'], ['voided', '40']]);
});

test('a batch naming a hold to change that is not there fails and writes nothing', async () => {
  const [source, destination] = await fundedPair();
  const at = new Date();
  const missing: HoldRow = {
    id: newId(), source_account_id: source, destination_account_id: destination, amount: 5n, captured_amount: 0n, currency: 'USD',
    status: 'voided', expires_at: at, capture_transaction_id: null, description: null, metadata: {}, created_at: at, updated_at: at,
  };
  const transactionId = newId();
  const plan = {
    now: at, expiresAt: at, results: [], newAccounts: [], entries: [], balanceUpdates: [], newHolds: [], changedHolds: [missing],
    holdChanges: [], accountSettings: [], accountHistory: [], events: [], idempotencyRows: [],
    transactions: [{ id: transactionId, type: 'deposit', amount: 1n, currency: 'USD', source_account_id: source, destination_account_id: destination,
      description: null, metadata: {}, hold_id: null, reverses_transaction_id: null, created_at: at }],
  } as unknown as BatchPlan;
  const client = await database.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT mark_batch_locked()');
    await assert.rejects(client.query(writeBatch(plan)), /the batch changed 0 of its 1 holds/);
    // The failed statement leaves the transaction aborted: its COMMIT rolls back.
    assert.equal((await client.query('COMMIT')).command, 'ROLLBACK');
  } finally {
    client.release();
  }
  const written = await database.pool.query('SELECT 1 FROM ledger_transactions WHERE id = $1', [transactionId]);
  assert.equal(written.rowCount, 0);
});
