// Proves the bench's plain baseline tables hold the seeded ledger (its invariants hold there), keep
// the guarantees a real ledger keeps (no wallet below zero, no entry naming a missing account) and
// carry no trigger of their own, so a single-row statement pays for nothing the project adds.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accountId } from '../../bench/accounts.js';
import { createPlainBaseline } from '../../bench/plainBaseline.js';
import { checkLedger, seedAccounts } from '../../bench/seed.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const ACCOUNTS = 20;
let database: TestDatabase;

before(async () => {
  database = await createTestDatabase(2);
  await seedAccounts(database.url, ACCOUNTS);
  await createPlainBaseline(database.url);
});

after(async () => {
  await database.drop();
});

test('the plain tables hold the seeded accounts, and the ledger invariants hold over them', async () => {
  const counts = await database.pool.query<{ plain: string; project: string }>(
    'SELECT (SELECT count(*) FROM baseline.accounts) AS plain, (SELECT count(*) FROM public.accounts) AS project',
  );
  assert.equal(counts.rows[0]!.plain, String(ACCOUNTS + 1));
  assert.equal(counts.rows[0]!.plain, counts.rows[0]!.project);
  const check = await checkLedger(database.url, 'baseline');
  assert.deepEqual(check, { passed: true, problems: [], transactions: ACCOUNTS });
});

test('a wallet cannot go below zero on the plain tables', async () => {
  await assert.rejects(
    database.pool.query('UPDATE baseline.accounts SET balance = -1 WHERE id = $1', [accountId(1)]),
    (error: { code?: string }) => error.code === '23514',
  );
});

test('an entry naming an account that does not exist is refused on the plain tables', async () => {
  const transaction = await database.pool.query<{ id: string }>('SELECT id FROM baseline.ledger_transactions LIMIT 1');
  await assert.rejects(
    database.pool.query(
      `INSERT INTO baseline.ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
       VALUES (gen_random_uuid(), $1, gen_random_uuid(), 'credit', 1, 1, 1, now())`,
      [transaction.rows[0]!.id],
    ),
    (error: { code?: string }) => error.code === '23503',
  );
});

test('the plain tables have no triggers but those of their foreign keys', async () => {
  const triggers = await database.pool.query<{ name: string }>(
    `SELECT t.tgname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'baseline' AND NOT t.tgisinternal`,
  );
  assert.deepEqual(triggers.rows, []);
});
