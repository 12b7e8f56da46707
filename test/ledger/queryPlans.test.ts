// Proves that the write path's queries keep index plans as tables grow, whatever PostgreSQL
// planned first. The database's ledger checks (statement triggers on ledger_transactions and
// ledger_entries) cost a few index lookups per new row however large the tables and however large
// the first statement a connection ran: PL/pgSQL keeps the plan it made for that first statement,
// and a plan made for a large one used to hash or scan every account. The batch lock finds stored
// outcomes by key on a table whose statistics still say it is empty: offered the expiry column,
// its plan used to read every live key through idempotency_keys_expiry; once the table is large,
// it looks keys up through the primary key. The batch's write, which PL/pgSQL plans once per
// connection and may keep as a generic plan after five runs, updates balances through the primary key.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { planBatch, type AccountState } from '../../src/ledger/planBatch.js';
import { commitPlannedBatch } from '../../src/ledger/sql/commitPlannedBatch.js';
import { lockBatch } from '../../src/ledger/sql/lockBatch.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { planSettings } from '../support/ledgerSettings.js';

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
    `CREATE TEMP TABLE planned AS
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

/** Has PostgreSQL send the plan of every statement the client runs, nested ones too, as a notice. */
async function explainEachStatement(client: pg.PoolClient): Promise<void> {
  await client.query(`LOAD 'auto_explain'`);
  await client.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;
    SET auto_explain.log_level = 'notice'; SET client_min_messages = 'notice'`);
}

test('the ledger checks look rows up by primary key, whatever size of statement planned them', async () => {
  const client = await database.pool.connect();
  const plans: string[] = [];
  const collect = (notice: { message?: string }) => {
    if (notice.message && /new_transactions|new_entries/.test(notice.message)) plans.push(notice.message);
  };
  client.on('notice', collect);
  try {
    await explainEachStatement(client);
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

test('the batch lock finds stored outcomes by key, planned for the size the table has now', async () => {
  // Rows stored by one batch share their expiry. With statistics taken while the table was empty,
  // PostgreSQL read such a table through idempotency_keys_expiry at a few thousand rows. Autovacuum
  // is off for the table, so that its statistics stay those of the empty table, as on a new
  // database before autovacuum gets to it.
  await database.pool.query('ALTER TABLE idempotency_keys SET (autovacuum_enabled = false); ANALYZE idempotency_keys');
  const client = await database.pool.connect();
  const plans: string[] = [];
  const collect = (notice: { message?: string }) => {
    if (notice.message && /idempotency_keys/.test(notice.message)) plans.push(notice.message);
  };
  client.on('notice', collect);
  let run = 0;
  const lockAndCheck = async () => {
    // A batch's worth of keys: half of them stored (among the first 100, stored from the start).
    const stored = Array.from({ length: 15 }, (_, index) => `grown-${((run * 15 + index) % 100) + 1}`);
    const keys = [...stored, ...stored.map((key) => `missing-${key}`)];
    run++;
    await client.query('BEGIN');
    const locked = await lockBatch(client, [], keys, [], new Date());
    await client.query('ROLLBACK');
    assert.deepEqual([...locked.storedOutcomes.keys()].sort(), [...stored].sort());
  };
  try {
    await explainEachStatement(client);
    await storeOutcomes(1, 100);
    // Past the five runs after which PostgreSQL may switch a prepared statement to a generic plan.
    for (let each = 0; each < 8; each++) await lockAndCheck();
    await storeOutcomes(101, 3_000);
    for (let each = 0; each < 3; each++) await lockAndCheck();
    await storeOutcomes(3_001, 60_000);
    for (let each = 0; each < 3; each++) await lockAndCheck();

    assert.equal(plans.length, 14, plans.join('\n---\n'));
    for (const plan of plans) assert.doesNotMatch(plan, /(Scan on|using) idempotency_keys_expiry/, plan);
    for (const plan of plans.slice(11)) {
      assert.doesNotMatch(plan, /Seq Scan on idempotency_keys/, plan);
      assert.match(plan, /Index Cond: \(key = ANY/, plan);
    }
  } finally {
    client.off('notice', collect);
    client.release(true);
  }
});

async function storeOutcomes(from: number, to: number): Promise<void> {
  await database.pool.query(
    `INSERT INTO idempotency_keys (key, fingerprint, status_code, response_body, created_at, expires_at)
     SELECT 'grown-' || n, 'fingerprint', 200, '{}', now(), now() + interval '1 day' FROM generate_series($1::int, $2::int) AS n`,
    [from, to],
  );
}

test('the batch write updates balances through the primary key, after PL/pgSQL may have switched to a generic plan', async () => {
  const funded = await database.pool.query<{ id: string }>(
    `UPDATE accounts SET balance = 1000 WHERE id IN (SELECT id FROM accounts ORDER BY id LIMIT 2) RETURNING id`,
  );
  const [source, destination] = funded.rows.map((row) => row.id);
  const states = new Map<string, AccountState>([
    [source!, { id: source!, kind: 'user', currency: 'USD', balance: 1_000n, version: 0n, pending_debits: 0n, pending_credits: 0n, status: 'active', overdraft_limit: 0n }],
    [destination!, { id: destination!, kind: 'user', currency: 'USD', balance: 1_000n, version: 0n, pending_debits: 0n, pending_credits: 0n, status: 'active', overdraft_limit: 0n }],
  ]);
  const client = await database.pool.connect();
  const plans: string[] = [];
  const collect = (notice: { message?: string }) => {
    if (notice.message && /Update on accounts/.test(notice.message)) plans.push(notice.message);
  };
  client.on('notice', collect);
  try {
    await explainEachStatement(client);
    for (let run = 0; run < 8; run++) {
      const transfer = {
        kind: 'transfer' as const, sourceAccountId: source!, destinationAccountId: destination!, amount: 1n,
        currency: undefined, description: null, metadata: {}, idempotency: { key: `plan-${run}`, fingerprint: 'fp' },
      };
      const plan = planBatch([transfer], states, new Set(), new Date(), planSettings(60_000));
      await client.query(commitPlannedBatch(states, plan));
      for (const update of plan.balanceUpdates) states.set(update.id, { ...states.get(update.id)!, balance: update.balance, version: update.version });
    }
    assert.equal(plans.length, 8, plans.join('\n---\n'));
    for (const plan of plans) {
      assert.doesNotMatch(plan, /Seq Scan on accounts/, plan);
      assert.match(plan, /Index Scan (using|on) accounts_pkey/, plan);
    }
  } finally {
    client.off('notice', collect);
    client.release(true);
  }
  assert.equal(states.get(source!)!.balance, 992n);
});
