// Proves that the read side answers from its indexes on a ledger of some size (PostgreSQL's own
// plans, captured by auto_explain): balance at a time is one probe of ledger_entries_account_time
// (nothing summed), each list filter picks its index (metadata through the jsonb_path_ops GIN
// indexes), no read scans a whole table, and no read waits for a writer's row locks.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { accountId } from '../../bench/accounts.js';
import { loadReadLedger } from '../../bench/readLedger.js';
import { LIST_START } from '../../src/ledger/listPosition.js';
import { listAccounts } from '../../src/ledger/sql/listAccounts.js';
import { listEntries } from '../../src/ledger/sql/listEntries.js';
import { listLedgerTransactions } from '../../src/ledger/sql/listLedgerTransactions.js';
import { readBalanceAt } from '../../src/ledger/sql/readBalanceAt.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const ACCOUNTS = 1_000;
const TRANSACTIONS = 40_000;
const PAGE = 50;
/** A read that waits for a writer's locks would exceed this by far (it would wait for the writer's COMMIT). */
const UNBLOCKED_READ_MS = 5_000;

let database: TestDatabase;
let explained: pg.Pool;
const plans: string[] = [];

before(async () => {
  database = await createTestDatabase();
  await loadReadLedger(database.url, ACCOUNTS, TRANSACTIONS);
  // One connection that has PostgreSQL send the plan of every statement it runs, as a notice.
  explained = new pg.Pool({ connectionString: database.url, max: 1 });
  explained.on('connect', (client) => {
    client.on('notice', (notice) => {
      if (notice.message?.includes('Query Text')) plans.push(notice.message);
    });
    void client.query(`LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_level = 'notice'; SET client_min_messages = 'notice'`);
  });
});
after(async () => {
  await explained.end();
  await database.drop();
});

/** The plan of the statement `read` runs. */
async function planOf(read: () => Promise<unknown>): Promise<string> {
  plans.length = 0;
  await read();
  assert.equal(plans.length, 1, plans.join('\n---\n'));
  const plan = plans[0]!;
  assert.doesNotMatch(plan, /Seq Scan/, plan);
  return plan;
}

const middle = () => new Date(Date.now() - 15 * 24 * 3_600_000).toISOString();
const hourAfter = (iso: string) => new Date(Date.parse(iso) + 3_600_000).toISOString();

test('balance at a time is one probe of ledger_entries_account_time: nothing is summed', async () => {
  const plan = await planOf(() => readBalanceAt(explained, accountId(7), middle()));
  assert.match(plan, /Index (Only )?Scan Backward using ledger_entries_account_time/, plan);
  assert.doesNotMatch(plan, /Aggregate/, plan);
  assert.match(plan, /Limit/, plan);
});

test('entries within a window are read along ledger_entries_account_time', async () => {
  const from = middle();
  const plan = await planOf(() => listEntries(explained, accountId(7), PAGE, undefined, { from, to: hourAfter(from) }));
  assert.match(plan, /ledger_entries_account_time/, plan);
});

test('accounts: metadata through the GIN index, currency through its index, no filter in created order', async () => {
  assert.match(await planOf(() => listAccounts(explained, { metadata: { segment: 's42' } }, PAGE, LIST_START)), /Bitmap Index Scan on accounts_metadata/);
  assert.match(await planOf(() => listAccounts(explained, { currency: 'USD', status: 'active' }, PAGE, LIST_START)), /accounts_currency_created|accounts_created/);
  assert.match(await planOf(() => listAccounts(explained, {}, PAGE, LIST_START)), /Index (Only )?Scan Backward using accounts_created/);
});

test('transactions: by account along both side indexes, by metadata through the GIN index, by window along created order', async () => {
  const byAccount = await planOf(() => listLedgerTransactions(explained, { accountId: accountId(7) }, PAGE, LIST_START));
  assert.match(byAccount, /ledger_transactions_source_created/, byAccount);
  assert.match(byAccount, /ledger_transactions_destination_created/, byAccount);
  const byOrder = await planOf(() => listLedgerTransactions(explained, { metadata: { order: 'o1234' } }, PAGE, LIST_START));
  assert.match(byOrder, /Bitmap Index Scan on ledger_transactions_metadata/, byOrder);
  const from = middle();
  const byWindow = await planOf(() => listLedgerTransactions(explained, { type: 'transfer', from, to: hourAfter(from) }, PAGE, LIST_START));
  assert.match(byWindow, /ledger_transactions_(type_)?created/, byWindow);
  assert.match(await planOf(() => listLedgerTransactions(explained, {}, PAGE, LIST_START)), /Index (Only )?Scan Backward using ledger_transactions_created/);
});

test('several metadata filters are one containment: both keys must match', async () => {
  const found = await listLedgerTransactions(explained, { metadata: { order: 'o1234', channel: 'web' } }, PAGE, LIST_START);
  const other = await listLedgerTransactions(explained, { metadata: { order: 'o1234', channel: 'app' } }, PAGE, LIST_START);
  // Transfer n's channel is web, app, pos for n mod 3 = 0, 1, 2: 1234 mod 3 = 1.
  assert.deepEqual([found.length, other.length], [0, 1]);
});

test('the reads take no lock a writer holds: they answer while a writer holds every account row', async () => {
  const writer = await database.pool.connect();
  try {
    await writer.query('BEGIN');
    await writer.query('SELECT id FROM accounts FOR UPDATE');
    await writer.query(`LOCK TABLE ledger_transactions, ledger_entries IN ROW EXCLUSIVE MODE`);
    const reads = Promise.all([
      readBalanceAt(database.pool, accountId(7), new Date().toISOString()),
      listAccounts(database.pool, { metadata: { segment: 's1' } }, PAGE, LIST_START),
      listLedgerTransactions(database.pool, { accountId: accountId(7) }, PAGE, LIST_START),
      listEntries(database.pool, accountId(7), PAGE, undefined),
    ]);
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('a read waited for the writer')), UNBLOCKED_READ_MS).unref());
    const [balance, accounts, transactions, entries] = (await Promise.race([reads, timeout])) as Awaited<typeof reads>;
    assert.ok(balance && balance.sequence > 0n);
    assert.ok(accounts.length > 0 && transactions.length > 0 && entries.length > 0);
  } finally {
    await writer.query('ROLLBACK');
    writer.release();
  }
});
