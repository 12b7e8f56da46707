// Proves that the database itself keeps the ledger immutable, double-entry and whole: direct SQL
// UPDATE, DELETE and TRUNCATE on ledger_entries and ledger_transactions fail, an unbalanced insert
// is rejected, a ledger row naming a missing account or transaction is rejected, and accounts can
// be neither deleted nor re-keyed; the same for holds, their changes and reversals, and what a hold
// is (all but its state) is never rewritten.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';

const RESTRICT_VIOLATION = '23001';
const CHECK_VIOLATION = '23514';
const FOREIGN_KEY_VIOLATION = '23503';

describe('ledger immutability in the database', () => {
  let api: TestService;
  let account: string;
  let transactionId: string;
  before(async () => {
    api = await startTestService();
    account = await fundedAccount(api, 'USD', 500n);
    const { rows } = await api.database.pool.query(`SELECT id FROM ledger_transactions`);
    transactionId = rows[0].id;
  });
  after(() => api.close());

  async function assertRejected(sql: string, code: string, message: RegExp): Promise<void> {
    await assert.rejects(api.database.pool.query(sql), (error: { code?: string; message: string }) => {
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      return true;
    });
  }

  async function snapshot() {
    const { rows } = await api.database.pool.query(`SELECT
      (SELECT json_agg(e ORDER BY id) FROM ledger_entries e) AS entries,
      (SELECT json_agg(t ORDER BY id) FROM ledger_transactions t) AS transactions`);
    return rows[0];
  }

  for (const table of ['ledger_entries', 'ledger_transactions']) {
    test(`UPDATE, DELETE and TRUNCATE on ${table} fail and leave it unchanged`, async () => {
      const before = await snapshot();
      await assertRejected(`UPDATE ${table} SET amount = amount + 1`, RESTRICT_VIOLATION, new RegExp(`UPDATE on ${table} is not allowed`));
      await assertRejected(`DELETE FROM ${table}`, RESTRICT_VIOLATION, new RegExp(`DELETE on ${table} is not allowed`));
      await assertRejected(`TRUNCATE ${table} CASCADE`, RESTRICT_VIOLATION, /TRUNCATE on ledger_(entries|transactions) is not allowed/);
      assert.deepEqual(await snapshot(), before);
    });
  }

  test('an UPDATE of a single entry by id fails too', async () => {
    await assertRejected(
      `UPDATE ledger_entries SET balance_after = 0 WHERE account_id = '${account}'`,
      RESTRICT_VIOLATION,
      /immutable/,
    );
    await assertRejected(`UPDATE ledger_transactions SET description = 'edited' WHERE id = '${transactionId}'`, RESTRICT_VIOLATION, /immutable/);
  });

  test('an unbalanced insert is rejected by the double-entry trigger; a balanced one is accepted', async () => {
    const client = await api.database.pool.connect();
    try {
      await client.query('BEGIN');
      const id = randomUUID();
      const settlement = (await client.query(`SELECT id FROM accounts WHERE kind = 'settlement'`)).rows[0].id;
      await client.query(
        `INSERT INTO ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, created_at)
         VALUES ($1, 'deposit', 10, 'USD', $2, $3, now())`,
        [id, settlement, account],
      );
      await client.query('SAVEPOINT before_entries');
      await assert.rejects(
        client.query(
          `INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
           VALUES ($1, $3, $4, 'debit', 10, -510, 100, now()), ($2, $3, $5, 'credit', 9, 509, 100, now())`,
          [randomUUID(), randomUUID(), id, settlement, account],
        ),
        (error: { code?: string; message: string }) => {
          assert.equal(error.code, CHECK_VIOLATION);
          assert.match(error.message, new RegExp(`ledger transaction ${id} is unbalanced`));
          return true;
        },
      );
      await client.query('ROLLBACK TO SAVEPOINT before_entries');
      // One side alone is unbalanced as well.
      await assert.rejects(
        client.query(
          `INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
           VALUES ($1, $2, $3, 'credit', 10, 510, 100, now())`,
          [randomUUID(), id, account],
        ),
        (error: { code?: string }) => error.code === CHECK_VIOLATION,
      );
      await client.query('ROLLBACK TO SAVEPOINT before_entries');
      const balanced = await client.query(
        `INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
         VALUES ($1, $3, $4, 'debit', 10, -510, 100, now()), ($2, $3, $5, 'credit', 10, 510, 100, now())`,
        [randomUUID(), randomUUID(), id, settlement, account],
      );
      assert.equal(balanced.rowCount, 2);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    const { rows } = await api.database.pool.query(`SELECT count(*)::int AS n FROM ledger_entries`);
    assert.equal(rows[0].n, 2);
  });

  test('accounts can be neither deleted, truncated nor re-keyed', async () => {
    const before = await snapshot();
    await assertRejected(`DELETE FROM accounts WHERE id = '${account}'`, RESTRICT_VIOLATION, /accounts are never deleted or re-keyed/);
    await assertRejected(`TRUNCATE accounts CASCADE`, RESTRICT_VIOLATION, /accounts are never deleted or re-keyed/);
    await assertRejected(`UPDATE accounts SET id = gen_random_uuid() WHERE id = '${account}'`, RESTRICT_VIOLATION, /accounts are never deleted or re-keyed/);
    assert.deepEqual(await snapshot(), before);
  });

  test('a transaction or an entry naming an account or a transaction that does not exist is rejected', async () => {
    const missing = randomUUID();
    const settlement = (await api.database.pool.query(`SELECT id FROM accounts WHERE kind = 'settlement'`)).rows[0].id;
    await assert.rejects(
      api.database.pool.query(
        `INSERT INTO ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, created_at)
         VALUES ($1, 'deposit', 10, 'USD', $2, $3, now())`,
        [randomUUID(), settlement, missing],
      ),
      (error: { code?: string; message: string }) => error.code === FOREIGN_KEY_VIOLATION && /names an account that does not exist/.test(error.message),
    );
    const balancedPair = `INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
      VALUES (gen_random_uuid(), $1, $2, 'debit', 10, -10, 100, now()), (gen_random_uuid(), $1, $3, 'credit', 10, 10, 100, now())`;
    const refused = (error: { code?: string; message: string }) =>
      error.code === FOREIGN_KEY_VIOLATION && /names a transaction or an account that does not exist/.test(error.message);
    await assert.rejects(api.database.pool.query(balancedPair, [missing, settlement, account]), refused);
    await assert.rejects(api.database.pool.query(balancedPair, [transactionId, settlement, missing]), refused);
  });

  test('the API still reads the ledger as written', async () => {
    const response = await api.request('GET', `/v1/accounts/${account}`);
    assert.equal(response.body.balance, '500');
    assert.equal(response.body.version, 1);
  });

  test('holds and their changes name only rows that exist, a reversal only a transaction that exists, and holds are never removed', async () => {
    const missing = randomUUID();
    const created = await api.request('POST', '/v1/holds', { body: { source_account_id: account, amount: '10' }, idempotencyKey: newKey() });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const holdId: string = created.body.id;
    const hold = `INSERT INTO holds (id, source_account_id, destination_account_id, amount, currency, status, expires_at, created_at, updated_at)
      VALUES (gen_random_uuid(), $1, $2, 10, 'USD', 'pending', now() + interval '1 hour', now(), now())`;
    const holdRefused = (error: { code?: string; message: string }) =>
      error.code === FOREIGN_KEY_VIOLATION && /hold .* names an account that does not exist/.test(error.message);
    await assert.rejects(api.database.pool.query(hold, [missing, account]), holdRefused);
    await assert.rejects(api.database.pool.query(hold, [account, missing]), holdRefused);
    const change = `INSERT INTO hold_changes (hold_id, status, amount, transaction_id, created_at) VALUES ($1, $2, 10, $3, now())`;
    const changeRefused = (error: { code?: string; message: string }) =>
      error.code === FOREIGN_KEY_VIOLATION && /names a hold or a transaction that does not exist/.test(error.message);
    await assert.rejects(api.database.pool.query(change, [missing, 'pending', null]), changeRefused);
    await assert.rejects(api.database.pool.query(change, [holdId, 'captured', missing]), changeRefused);
    await assert.rejects(
      api.database.pool.query(
        `INSERT INTO ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, reverses_transaction_id, created_at)
         VALUES (gen_random_uuid(), 'reversal', 10, 'USD', $1, $2, $3, now())`,
        [account, (await api.database.pool.query(`SELECT id FROM accounts WHERE kind = 'settlement'`)).rows[0].id, missing],
      ),
      (error: { code?: string; message: string }) => error.code === FOREIGN_KEY_VIOLATION && /reverses one that does not/.test(error.message),
    );
    await assertRejected(`DELETE FROM holds WHERE id = '${holdId}'`, RESTRICT_VIOLATION, /holds are never deleted or re-keyed/);
    await assertRejected(`TRUNCATE holds CASCADE`, RESTRICT_VIOLATION, /holds are never deleted or re-keyed/);
    await assertRejected(`UPDATE holds SET id = gen_random_uuid() WHERE id = '${holdId}'`, RESTRICT_VIOLATION, /holds are never deleted or re-keyed/);
    const { rows } = await api.database.pool.query(`SELECT status FROM holds WHERE id = $1`, [holdId]);
    assert.deepEqual(rows, [{ status: 'pending' }]);
  });

  test("what a hold is never changes (its events are rendered from it); only its state does", async () => {
    const created = await api.request('POST', '/v1/holds', {
      body: { source_account_id: account, amount: '10', description: 'order o-1', metadata: { order: 'o-1' } }, idempotencyKey: newKey(),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const holdId: string = created.body.id;
    const rewrites = [
      'amount = 11', 'currency = $$EUR$$', 'source_account_id = destination_account_id, destination_account_id = source_account_id',
      'expires_at = expires_at + interval $$1 hour$$', 'description = $$other$$', 'metadata = $${}$$', 'created_at = created_at - interval $$1 day$$',
    ];
    for (const rewrite of rewrites) {
      await assertRejected(`UPDATE holds SET ${rewrite} WHERE id = '${holdId}'`, RESTRICT_VIOLATION, /is fixed once created: only its state changes/);
    }
    // Naming a fixed column with its own value changes nothing, and is let through.
    const updated = await api.database.pool.query(`UPDATE holds SET amount = amount, updated_at = updated_at + interval '1 second' WHERE id = $1`, [holdId]);
    assert.equal(updated.rowCount, 1);
    const { rows } = await api.database.pool.query(`SELECT status, amount::text, description FROM holds WHERE id = $1`, [holdId]);
    assert.deepEqual(rows, [{ status: 'pending', amount: '10', description: 'order o-1' }]);
  });
});
