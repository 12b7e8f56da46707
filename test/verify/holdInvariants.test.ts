// Proves each invariant of holds and reversals holds on a ledger built through the API (holds
// created, captured in part, voided, expired; transactions reversed) and catches a corrupted row:
// a pending sum, a captured amount, a capture transaction, a hold's state and an oversized reversal.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { newId } from '../../src/ids.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';

let api: TestService;
let source: string;
let destination: string;
let pendingHold: string;
let capturedHold: string;
let transfer: { id: string; amount: string };

before(async () => {
  api = await startTestService();
  source = await fundedAccount(api, 'USD', 1000n);
  destination = await fundedAccount(api, 'USD', 0n);
  const hold = async (amount: string) =>
    (await api.request('POST', '/v1/holds', { body: { source_account_id: source, destination_account_id: destination, amount }, idempotencyKey: newKey() })).body.id as string;
  pendingHold = await hold('100');
  capturedHold = await hold('50');
  await api.request('POST', `/v1/holds/${capturedHold}/capture`, { body: { amount: '30' }, idempotencyKey: newKey() });
  await api.request('POST', `/v1/holds/${await hold('10')}/void`, { idempotencyKey: newKey() });
  transfer = (await api.request('POST', '/v1/transactions/transfer', {
    body: { source_account_id: source, destination_account_id: destination, amount: '200' }, idempotencyKey: newKey(),
  })).body;
  await api.request('POST', `/v1/transactions/${transfer.id}/reverse`, { body: { amount: '50' }, idempotencyKey: newKey() });
});
after(() => api.close());

/** Each test corrupts rows in a database transaction that is rolled back, so that the next starts sound. */
async function violationsAfter(corruption: string, values: unknown[]): Promise<Map<string, number>> {
  const client = await api.database.pool.connect();
  try {
    await client.query('BEGIN');
    // Triggers guard the immutable rows; the corruption goes around them.
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(corruption, values);
    const results = await checkLedgerInvariants(client);
    return new Map(results.map((result) => [result.name, result.violations.length]));
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

beforeEach(async () => {
  assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
});

test('a pending sum that is not the sum of pending holds is caught', async () => {
  const found = await violationsAfter('UPDATE accounts SET pending_debits = pending_debits + 1 WHERE id = $1', [source]);
  assert.equal(found.get('pending_sums_equal_holds'), 1);
});

test('a hold that captured what it did not, or more than it holds, is caught', async () => {
  const found = await violationsAfter('UPDATE holds SET captured_amount = 1 WHERE id = $1', [pendingHold]);
  assert.equal(found.get('captured_within_hold'), 1);
});

test('a capture transaction that does not match its hold is caught', async () => {
  const found = await violationsAfter('UPDATE holds SET capture_transaction_id = $2 WHERE id = $1', [capturedHold, transfer.id]);
  assert.ok(found.get('hold_captures_match')! >= 1);
});

test("a hold whose state is not its latest change is caught", async () => {
  const found = await violationsAfter("UPDATE holds SET status = 'voided' WHERE id = $1", [pendingHold]);
  assert.equal(found.get('hold_state_matches_changes'), 1);
});

test('reversals that exceed their original are caught', async () => {
  const found = await violationsAfter(
    `INSERT INTO ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, reverses_transaction_id, created_at)
     VALUES ($1, 'reversal', 151, 'USD', $2, $3, $4, now())`,
    [newId(), destination, source, transfer.id],
  );
  assert.equal(found.get('reversals_within_original'), 1);
});
