// Proves the bench's plain baseline tables hold the seeded ledger (its invariants hold there), keep
// the guarantees a real ledger keeps (no wallet below zero, no entry naming a missing account) and
// carry no trigger of their own, so a single-row statement pays for nothing the project adds; and
// that the update-locks transfer script keeps the invariants under concurrent clients and writes
// nothing when an overdraft is refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accountId } from '../../bench/accounts.js';
import { findPgbench, startBaseline, type BaselineResult } from '../../bench/pgbench.js';
import { createPlainBaseline } from '../../bench/plainBaseline.js';
import { checkLedger, seedAccounts } from '../../bench/seed.js';
import { transferScriptFile, type BaselineKind } from '../../bench/transferScripts.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const ACCOUNTS = 20;
/** The pgbench transfers run between the first few accounts only: they meet on the same rows, so a lock order that could deadlock does. */
const CONTENDED_ACCOUNTS = 4;
const PGBENCH_CLIENTS = 8;
const PGBENCH_SECONDS = 2;
const FINGERPRINT = 'a'.repeat(64);
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

function runUpdateLocksTransfers(url: string, kind: BaselineKind, durationSeconds: number): Promise<BaselineResult> {
  return startBaseline({
    binary: findPgbench(), databaseUrl: url, script: transferScriptFile({ kind, tables: 'plain', variant: 'update-locks', accounts: CONTENDED_ACCOUNTS }),
    clients: PGBENCH_CLIENTS, durationSeconds, samples: { fingerprint: FINGERPRINT }, label: `update-locks ${kind}`,
  }).then((running) => running.result);
}

/** Entries whose balance_after is not the running sum of their account's entries up to their sequence. */
async function entriesWithWrongBalanceAfter(): Promise<number> {
  const wrong = await database.pool.query<{ count: string }>(`
    SELECT count(*) AS count FROM (
      SELECT balance_after, sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END)
             OVER (PARTITION BY account_id ORDER BY sequence) AS running
      FROM baseline.ledger_entries) e
    WHERE balance_after <> running`);
  return Number(wrong.rows[0]!.count);
}

test('the update-locks transfer keeps the plain ledger\'s invariants under concurrent clients, uniform and hot', async () => {
  let transfers = 0;
  for (const kind of ['uniform', 'hot'] as const) {
    const result = await runUpdateLocksTransfers(database.url, kind, PGBENCH_SECONDS);
    assert.equal(result.failed, 0, `${kind}: no transfer failed (no deadlock)`);
    assert.ok(result.transactions > 0, `${kind}: pgbench committed transfers`);
    transfers += result.transactions;
  }
  const check = await checkLedger(database.url, 'baseline');
  assert.deepEqual(check, { passed: true, problems: [], transactions: ACCOUNTS + transfers });
  assert.equal(await entriesWithWrongBalanceAfter(), 0);
  const outbox = await database.pool.query<{ outbox: string; keys: string }>(
    'SELECT (SELECT count(*) FROM baseline.outbox) AS outbox, (SELECT count(*) FROM baseline.idempotency_keys) AS keys',
  );
  assert.deepEqual(outbox.rows[0], { outbox: String(transfers), keys: String(transfers) });
});

test('an overdraft in the update-locks transfer fails its database transaction and writes nothing', async () => {
  const drained = await createTestDatabase(2);
  try {
    await seedAccounts(drained.url, ACCOUNTS);
    await createPlainBaseline(drained.url);
    // Every wallet empty: whatever the amount, each transfer's debit would take its source below zero.
    await drained.pool.query("UPDATE baseline.accounts SET balance = 0 WHERE kind = 'user'");
    const snapshot = () => drained.pool.query(`
      SELECT (SELECT count(*) FROM baseline.ledger_transactions) AS transactions, (SELECT count(*) FROM baseline.ledger_entries) AS entries,
             (SELECT count(*) FROM baseline.outbox) AS outbox, (SELECT count(*) FROM baseline.idempotency_keys) AS keys,
             (SELECT json_agg(json_build_object('id', id, 'balance', balance::text, 'version', version) ORDER BY id) FROM baseline.accounts) AS accounts`);
    const before = (await snapshot()).rows[0];
    // Hot transfers credit the merchant (the lowest id) before the debit fails: that credit is rolled back too.
    for (const kind of ['uniform', 'hot'] as const) {
      await assert.rejects(runUpdateLocksTransfers(drained.url, kind, 1), /violates check constraint "accounts_check"/);
    }
    assert.deepEqual((await snapshot()).rows[0], before);
  } finally {
    await drained.drop();
  }
});
