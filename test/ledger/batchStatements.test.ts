// Proves what a batch sends, through pg's public API alone: a batch planned against remembered rows
// is one statement on one connection, outside any explicit transaction and committed when it
// returns; a batch that falls back stays on that connection and sends BEGIN, its lock, its write and
// COMMIT; a connection the server answered goes back to the pool, and one that failed mid-commit
// is discarded; a hold and its capture by the writer that created it are one statement each, and a
// capture of a hold another writer changed falls back and reads the hold under the lock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import { createPool } from '../../src/db/pool.js';
import { newId } from '../../src/ids.js';
import { applyBatch, CommitOutcomeUnknownError } from '../../src/ledger/applyBatch.js';
import { applyBatchWithRecovery } from '../../src/ledger/applyBatchWithRecovery.js';
import { createLedgerContext, type LedgerContext } from '../../src/ledger/ledgerContext.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { planSettings } from '../support/ledgerSettings.js';

let database: TestDatabase;
/** The writer's own pool, whose connections the test watches. */
let pool: pg.Pool;
let writer: LedgerContext;
let other: LedgerContext;
let keys = 0;
/** What the writer sent: each statement's name (or text), per checkout of a connection. */
const checkouts: Array<{ client: pg.PoolClient; statements: string[] }> = [];
const watched = new WeakSet<pg.PoolClient>();

const settings = planSettings();

before(async () => {
  database = await createTestDatabase(4);
  pool = createPool(database.url, 2, { applicationName: 'wallet-ledger-test-writer' });
  pool.on('acquire', (client) => {
    checkouts.push({ client, statements: [] });
    if (watched.has(client)) return;
    watched.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => {
      const named = config as { name?: string; text?: string };
      checkouts.at(-1)!.statements.push(typeof config === 'string' ? config : named.name ?? named.text!.trim().split(/\s+/)[0]!);
      return query(config, ...rest);
    };
  });
  writer = createLedgerContext(pool, systemClock, settings, pino({ level: 'silent' }));
  other = createLedgerContext(database.pool, systemClock, settings, pino({ level: 'silent' }));
});
after(async () => {
  await pool.end();
  await database.drop();
});

function deposit(accountId: string, amount: bigint): LedgerOperation {
  return { kind: 'deposit', accountId, amount, currency: undefined, description: null, metadata: {}, idempotency: { key: `statements-${++keys}`, fingerprint: `fp-${keys}` } };
}

async function openAccount(context: LedgerContext): Promise<string> {
  const accountId = newId();
  const [opened] = await applyBatchWithRecovery(context, [{ kind: 'open_account', accountId, currency: 'USD', externalRef: null, metadata: {}, idempotency: undefined }]);
  assert.equal(opened!.kind, 'account_opened');
  return accountId;
}

/** The checkouts a batch makes, and what each sent. */
async function sentBy(work: () => Promise<unknown>): Promise<string[][]> {
  const first = checkouts.length;
  await work();
  return checkouts.slice(first).map((checkout) => checkout.statements);
}

async function balanceOf(id: string): Promise<string> {
  return (await database.pool.query<{ balance: string }>('SELECT balance::text FROM accounts WHERE id = $1', [id])).rows[0]!.balance;
}

test('a batch planned against remembered rows is one statement on one connection, committed when it returns', async () => {
  const account = await openAccount(writer);
  await applyBatchWithRecovery(writer, [deposit(account, 5n)]);
  const sent = await sentBy(() => applyBatch(writer, [deposit(account, 7n), deposit(account, 11n)]));
  assert.deepEqual(sent, [['commit_planned_batch']]);
  // No BEGIN was sent and none is needed: another connection sees the batch as soon as it returns.
  assert.equal(await balanceOf(account), '23');
});

test('a batch whose rows changed stays on its connection: BEGIN with the lock, then the write with COMMIT', async () => {
  const account = await openAccount(writer);
  await applyBatchWithRecovery(writer, [deposit(account, 5n)]);
  await applyBatchWithRecovery(other, [deposit(account, 1n)]);
  const sent = await sentBy(() => applyBatch(writer, [deposit(account, 7n)]));
  assert.deepEqual(sent, [['commit_planned_batch', 'BEGIN', 'WITH', 'write_batch', 'commit_batch']]);
  assert.equal(await balanceOf(account), '13');
  // The refused statement wrote nothing: one deposit each, three entries on the account.
  const entries = await database.pool.query('SELECT 1 FROM ledger_entries WHERE account_id = $1', [account]);
  assert.equal(entries.rowCount, 3);
});

test('a connection the server answered with a refusal goes back to the pool, outside any transaction', async () => {
  const account = await openAccount(writer);
  await applyBatchWithRecovery(writer, [deposit(account, 5n)]);
  const discarded: boolean[] = [];
  const onRelease = (error: unknown) => discarded.push(Boolean(error));
  pool.on('release', onRelease);
  try {
    // The same account id twice among new accounts: the server refuses the write, after the lock.
    const twice = newId();
    const opening: LedgerOperation = { kind: 'open_account', accountId: twice, currency: 'USD', externalRef: null, metadata: {}, idempotency: undefined };
    await assert.rejects(applyBatch(writer, [opening, { ...opening }]), { code: '23505' });
    const [refused] = checkouts.slice(-1);
    assert.deepEqual(refused!.statements, ['BEGIN', 'WITH', 'write_batch', 'commit_batch']);
    assert.deepEqual(discarded, [false]);
    const open = await database.pool.query(
      `SELECT 1 FROM pg_stat_activity
       WHERE application_name = 'wallet-ledger-test-writer' AND state LIKE 'idle in transaction%'`,
    );
    assert.equal(open.rowCount, 0, 'a writer connection was left inside a transaction');
  } finally {
    pool.off('release', onRelease);
  }
});

test('a connection that fails while the commit is in flight is discarded, and the outcome reported unknown', async () => {
  const account = await openAccount(writer);
  await applyBatchWithRecovery(writer, [deposit(account, 5n)]);
  const discarded: boolean[] = [];
  const onRelease = (error: unknown) => discarded.push(Boolean(error));
  pool.on('release', onRelease);
  // Another transaction holds the account, so the writer's statement waits for its lock; then the
  // writer's connection is ended under it.
  const blocker = await database.pool.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [account]);
    const failure = applyBatch(writer, [deposit(account, 7n)]).then(() => undefined, (error: unknown) => error);
    await terminateWriterWhenWaiting();
    assert.ok((await failure) instanceof CommitOutcomeUnknownError, String(await failure));
    assert.deepEqual(discarded, [true], 'the failed connection did not go back to the pool');
  } finally {
    await blocker.query('ROLLBACK');
    blocker.release();
    pool.off('release', onRelease);
  }
  assert.equal(await balanceOf(account), '5');
});

/** Terminates the writer's connection once it waits for a lock. */
async function terminateWriterWhenWaiting(): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const ended = await database.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'wallet-ledger-test-writer' AND wait_event_type = 'Lock'`,
    );
    if (ended.rowCount) return;
    await sleep(10);
  }
  throw new Error('the writer never waited for the lock');
}

function createHold(sourceAccountId: string, destinationAccountId: string, amount: bigint, holdId = newId()): LedgerOperation {
  return {
    kind: 'create_hold', holdId, sourceAccountId, destinationAccountId, amount, currency: undefined, expiresAt: new Date(Date.now() + 60_000),
    description: null, metadata: {}, idempotency: { key: `statements-${++keys}`, fingerprint: `fp-${keys}` },
  };
}

test('a hold and its capture each take one statement when the writer created the hold', async () => {
  const [source, destination] = [await openAccount(writer), await openAccount(writer)];
  await applyBatchWithRecovery(writer, [deposit(source!, 50n), deposit(destination!, 1n)]);
  const holdId = newId();
  assert.deepEqual(await sentBy(() => applyBatch(writer, [createHold(source!, destination!, 20n, holdId)])), [['commit_planned_batch']]);
  const capture: LedgerOperation = {
    kind: 'capture_hold', holdId, sourceAccountId: source!, destinationAccountId: destination!, amount: undefined,
    idempotency: { key: `statements-${++keys}`, fingerprint: `fp-${keys}` },
  };
  let outcomes: unknown[] = [];
  assert.deepEqual(await sentBy(async () => (outcomes = await applyBatch(writer, [capture]))), [['commit_planned_batch']]);
  assert.equal((outcomes[0] as { kind: string }).kind, 'posted');
  assert.equal(await balanceOf(destination!), '21');
});

test('a hold another writer voided meanwhile: the capture falls back, reads the hold under the lock and is refused', async () => {
  const [source, destination] = [await openAccount(writer), await openAccount(writer)];
  await applyBatchWithRecovery(writer, [deposit(source!, 50n), deposit(destination!, 1n)]);
  const holdId = newId();
  await applyBatchWithRecovery(writer, [createHold(source!, destination!, 20n, holdId)]);
  const onHold = { holdId, sourceAccountId: source!, destinationAccountId: destination! };
  const [voided] = await applyBatchWithRecovery(other, [{ kind: 'void_hold', ...onHold, idempotency: { key: `statements-${++keys}`, fingerprint: 'v' } }]);
  assert.equal(voided!.kind, 'hold_changed');
  let outcomes: unknown[] = [];
  const sent = await sentBy(async () => {
    outcomes = await applyBatch(writer, [{ kind: 'capture_hold', ...onHold, amount: undefined, idempotency: { key: `statements-${++keys}`, fingerprint: 'c' } }]);
  });
  assert.deepEqual(sent, [['commit_planned_batch', 'BEGIN', 'WITH', 'lock_references', 'write_batch', 'commit_batch']]);
  assert.deepEqual((outcomes[0] as { rejection: unknown }).rejection, { code: 'hold_not_pending', holdId, status: 'voided' });
  assert.equal(await balanceOf(source!), '50');
});
