// Proves that the database's own ledger checks (the statement triggers on ledger_transactions and
// ledger_entries) cost a few index lookups per new row however large the tables are and however
// large the first statement a connection ran: PL/pgSQL keeps the plan it made for that first
// statement, and a plan made for a large one used to hash or scan every account.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const ACCOUNTS = 3_000;
const FIRST_STATEMENT_TRANSACTIONS = 400;

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
  await database.pool.query(
    `INSERT INTO accounts (id, kind, currency, balance, version, created_at, updated_at)
     SELECT gen_random_uuid(), 'user', 'USD', 0, 0, now(), now() FROM generate_series(1, $1)`,
    [ACCOUNTS],
  );
  await database.pool.query('ANALYZE accounts');
});
after(() => database.drop());

/** Inserts transfers between spread-out accounts with their two entries, one statement per table. */
async function insertTransfers(client: pg.PoolClient, count: number, firstSequence: number): Promise<void> {
  await client.query(
    `CREATE TEMP TABLE planned ON COMMIT DROP AS
     WITH numbered AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM accounts)
     SELECT gen_random_uuid() AS id, source.id AS source, destination.id AS destination, n
     FROM generate_series(1, $1::int) AS n
     JOIN numbered source ON source.i = (n * 7) % $2::int
     JOIN numbered destination ON destination.i = (n * 7 + 1) % $2::int`,
    [count, ACCOUNTS],
  );
  await client.query(
    `INSERT INTO ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, created_at)
     SELECT id, 'transfer', 1, 'USD', source, destination, now() FROM planned`,
  );
  await client.query(
    `INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
     SELECT gen_random_uuid(), id, source, 'debit', 1, 0, $1::bigint + 2 * n, now() FROM planned
     UNION ALL
     SELECT gen_random_uuid(), id, destination, 'credit', 1, 0, $1::bigint + 2 * n + 1, now() FROM planned`,
    [firstSequence],
  );
  await client.query('DROP TABLE planned');
}

test('the ledger checks look rows up by primary key, whatever size of statement planned them', async () => {
  const client = await database.pool.connect();
  const plans: string[] = [];
  const collect = (notice: { message?: string }) => {
    if (notice.message && /new_transactions|new_entries/.test(notice.message)) plans.push(notice.message);
  };
  client.on('notice', collect);
  try {
    await client.query(`LOAD 'auto_explain'`);
    await client.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;
      SET auto_explain.log_level = 'notice'; SET client_min_messages = 'notice'`);
    await client.query('BEGIN');
    await insertTransfers(client, FIRST_STATEMENT_TRANSACTIONS, 1_000_000);
    const afterLargeStatement = plans.length;
    await insertTransfers(client, 2, 2_000_000);

    // Three checks per statement pair: the transactions' references, the entries' references and balance.
    assert.equal(afterLargeStatement, 3, plans.join('\n---\n'));
    assert.equal(plans.length, 6, plans.join('\n---\n'));
    for (const plan of plans) {
      assert.doesNotMatch(plan, /Seq Scan on (accounts|ledger_)/, plan);
      assert.doesNotMatch(plan, /Hash (Join|Anti Join|Semi Join|Right)|hashed SubPlan|Merge/, plan);
      assert.doesNotMatch(plan, /Index.*ledger_entries/, plan);
    }
    assert.ok(plans.some((plan) => /Index Only Scan using accounts_pkey/.test(plan)), plans.join('\n---\n'));
    assert.ok(plans.some((plan) => /Index Only Scan using ledger_transactions_pkey/.test(plan)), plans.join('\n---\n'));
  } finally {
    client.off('notice', collect);
    await client.query('ROLLBACK').catch(() => {});
    client.release(true);
  }
});
