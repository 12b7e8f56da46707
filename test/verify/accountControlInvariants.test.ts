// Proves verify holds on a ledger with frozen, closed and overdrawn wallets and settings changes
// made through the API, and catches a corrupted row: a closed account with money or a pending hold,
// a balance below -overdraft_limit, reserved money beyond the limit, a settlement account with
// settings, and a settings change whose version is not in the account's sequence.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { settlementAccountId } from '../../src/ids.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';

let api: TestService;
let closed: string;
let overdrawn: string;
let funded: string;

async function patch(id: string, body: unknown): Promise<void> {
  const response = await api.request('PATCH', `/v1/accounts/${id}`, { body, headers: { 'if-match': '*' } });
  assert.equal(response.status, 200, response.raw);
}

before(async () => {
  api = await startTestService();
  closed = await fundedAccount(api, 'USD', 0n);
  await patch(closed, { status: 'frozen' });
  await patch(closed, { status: 'closed' });
  overdrawn = await fundedAccount(api, 'USD', 10n);
  await patch(overdrawn, { overdraft_limit: '100' });
  const withdrawal = await api.request('POST', '/v1/transactions/withdraw', { body: { account_id: overdrawn, amount: '60' }, idempotencyKey: newKey() });
  assert.equal(withdrawal.status, 201, withdrawal.raw);
  funded = await fundedAccount(api, 'USD', 500n);
  await patch(funded, { metadata: { checked: true } });
});
after(() => api.close());

/** Each test corrupts rows in a database transaction that is rolled back; the CHECKs it goes around are dropped in it too. */
async function violationsAfter(statements: Array<[string, unknown[]]>): Promise<Map<string, number>> {
  const client = await api.database.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(`ALTER TABLE accounts DROP CONSTRAINT accounts_closed_is_empty,
      DROP CONSTRAINT accounts_user_balance_not_negative, DROP CONSTRAINT accounts_user_available_not_negative`);
    for (const [sql, values] of statements) await client.query(sql, values);
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

test('a closed account with a balance is caught', async () => {
  const found = await violationsAfter([["UPDATE accounts SET status = 'closed' WHERE id = $1", [funded]]]);
  assert.equal(found.get('closed_accounts_empty'), 1);
});

test('a closed account with a pending hold is caught', async () => {
  const found = await violationsAfter([[
    `INSERT INTO holds (id, source_account_id, destination_account_id, amount, captured_amount, currency, status, expires_at, metadata, created_at, updated_at)
     VALUES (gen_random_uuid(), $1, $2, 5, 0, 'USD', 'pending', now() + interval '1 day', '{}', now(), now())`,
    [funded, closed],
  ]]);
  assert.equal(found.get('closed_accounts_empty'), 1);
});

test('a balance below -overdraft_limit is caught', async () => {
  const found = await violationsAfter([['UPDATE accounts SET overdraft_limit = 49 WHERE id = $1', [overdrawn]]]);
  assert.equal(found.get('wallets_not_negative'), 1);
});

test('pending holds reserving more than the balance and the limit allow are caught', async () => {
  const found = await violationsAfter([['UPDATE accounts SET overdraft_limit = 50, pending_debits = 1 WHERE id = $1', [overdrawn]]]);
  assert.equal(found.get('available_not_negative'), 1);
});

test('a settlement account with settings is caught', async () => {
  const found = await violationsAfter([["UPDATE accounts SET status = 'frozen' WHERE id = $1", [settlementAccountId('USD')]]]);
  assert.equal(found.get('settlement_accounts_fixed'), 1);
});

test("a settings change outside the account's sequence is caught", async () => {
  const found = await violationsAfter([[
    `INSERT INTO account_history (account_id, version, request_id, changes, created_at) VALUES ($1, 9, 'forged', '{}', now())`,
    [funded],
  ]]);
  assert.equal(found.get('balance_equals_entries'), 1);
  assert.equal(found.get('sequences_without_gaps'), 1);
});
