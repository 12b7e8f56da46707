// Proves the one-round-trip batch is only ever a shortcut: a partition plans against the rows its
// own commits left, and the lock checks them under the row locks. When another writer (here a
// second replica on the same database) changed a row or stored a key, the attempt rolls back whole
// and the batch runs again on the two-round-trip path, with exact balances; a writer whose rows
// keep changing stops trying until they stop; and the write refuses to run in any transaction that
// a lock statement did not mark.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import { newId } from '../../src/ids.js';
import { commitAndRespond } from '../../partitions/commitAndRespond.js';
import { createLedgerContext, type LedgerContext } from '../../src/ledger/ledgerContext.js';
import type { WriteResponse } from '../../src/http/writeResponses.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import { planBatch, type AccountState } from '../../src/ledger/planBatch.js';
import { writeBatch } from '../../src/ledger/sql/writeBatch.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { planSettings } from '../support/ledgerSettings.js';

let database: TestDatabase;
/** Two replicas of the service on one database, each with its own remembered rows. */
let replicaA: LedgerContext;
let replicaB: LedgerContext;
let keys = 0;

const settings = planSettings();

before(async () => {
  database = await createTestDatabase();
  replicaA = createLedgerContext(database.pool, systemClock, settings, pino({ level: 'silent' }));
  replicaB = createLedgerContext(database.pool, systemClock, settings, pino({ level: 'silent' }));
});
after(() => database.drop());

const posting = { currency: undefined, description: null, metadata: {} };
const claim = () => ({ key: `one-trip-${++keys}`, fingerprint: `fp-${keys}` });

function deposit(accountId: string, amount: bigint, idempotency = claim()): LedgerOperation {
  return { kind: 'deposit', accountId, amount, ...posting, idempotency };
}
function transfer(sourceAccountId: string, destinationAccountId: string, amount: bigint): LedgerOperation {
  return { kind: 'transfer', sourceAccountId, destinationAccountId, amount, ...posting, idempotency: claim() };
}

async function openAccounts(context: LedgerContext, count: number): Promise<string[]> {
  const operations = Array.from({ length: count }, (): LedgerOperation => ({
    kind: 'open_account', accountId: newId(), currency: 'USD', externalRef: null, metadata: {}, idempotency: undefined,
  }));
  assert.ok((await commitAndRespond(context, operations)).every((result) => result.statusCode === 201));
  return operations.map((operation) => (operation as { accountId: string }).accountId);
}

function counts(context: LedgerContext) {
  return { committed: context.oneRoundTrip.committed, fellBack: context.oneRoundTrip.fellBack };
}

function entriesOf(result: WriteResponse): Array<{ account_id: string; balance_after: string }> {
  assert.equal(result.statusCode, 201, result.body);
  return JSON.parse(result.body).entries;
}

async function balanceOf(id: string): Promise<bigint> {
  const found = await database.pool.query<{ balance: string }>('SELECT balance::text FROM accounts WHERE id = $1', [id]);
  return BigInt(found.rows[0]!.balance);
}

async function countOf(table: string): Promise<number> {
  return Number((await database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
}

test('a writer that knows its accounts commits a batch in one round trip', async () => {
  const [a, b] = await openAccounts(replicaA, 2);
  // The settlement account is not yet known: this batch reads it, under its lock.
  await commitAndRespond(replicaA, [deposit(a!, 1_000n)]);
  const before = counts(replicaA);
  const [first, second] = await commitAndRespond(replicaA, [transfer(a!, b!, 300n), transfer(b!, a!, 100n)]);
  assert.deepEqual(counts(replicaA), { committed: before.committed + 1, fellBack: before.fellBack });
  assert.deepEqual(entriesOf(first!).map((entry) => entry.balance_after), ['700', '300']);
  assert.deepEqual(entriesOf(second!).map((entry) => entry.balance_after), ['200', '800']);
  assert.equal(await balanceOf(a!), 800n);
  assert.equal(await balanceOf(b!), 200n);
  assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool)), []);
});

test('a row another replica changed rolls the one-round-trip attempt back whole; the batch runs again on fresh rows', async () => {
  const [a, b] = await openAccounts(replicaA, 2);
  await commitAndRespond(replicaA, [deposit(a!, 1_000n)]);
  await commitAndRespond(replicaA, [transfer(a!, b!, 1n)]);
  // Replica A now remembers a at 999. Replica B moves it on behind A's back.
  await commitAndRespond(replicaB, [deposit(a!, 50n)]);
  const transactionsBefore = await countOf('ledger_transactions');
  const outboxBefore = await countOf('outbox');
  const before = counts(replicaA);

  const [result] = await commitAndRespond(replicaA, [transfer(a!, b!, 30n)]);

  assert.deepEqual(counts(replicaA), { committed: before.committed, fellBack: before.fellBack + 1 });
  // Planned against the remembered row, a would have been left at 969 and b's balance_after wrong.
  assert.deepEqual(entriesOf(result!).map((entry) => [entry.account_id, entry.balance_after]), [[a, '1019'], [b, '31']]);
  assert.equal(await balanceOf(a!), 1_019n);
  assert.equal(await countOf('ledger_transactions'), transactionsBefore + 1, 'the rolled-back attempt wrote nothing');
  assert.equal(await countOf('outbox'), outboxBefore + 1);
  const sequences = await database.pool.query<{ sequence: string }>(
    'SELECT sequence::text FROM ledger_entries WHERE account_id = $1 ORDER BY sequence', [a],
  );
  assert.deepEqual(sequences.rows.map((row) => row.sequence), ['1', '2', '3', '4']);
  assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool)), []);

  // The fall-back read the rows afresh: the next batch takes one round trip again.
  await commitAndRespond(replicaA, [transfer(a!, b!, 19n)]);
  assert.equal(replicaA.oneRoundTrip.committed, before.committed + 1);
  assert.equal(await balanceOf(a!), 1_000n);
});

test('a repeated key falls back and replays its stored outcome, applying nothing twice', async () => {
  const [a] = await openAccounts(replicaA, 1);
  const idempotency = claim();
  const [first] = await commitAndRespond(replicaA, [deposit(a!, 40n, idempotency)]);
  await commitAndRespond(replicaA, [deposit(a!, 2n)]);
  const before = counts(replicaA);
  const [again] = await commitAndRespond(replicaA, [deposit(a!, 40n, idempotency)]);
  assert.deepEqual(again, { ...first, replayed: true });
  assert.equal(replicaA.oneRoundTrip.fellBack, before.fellBack + 1);
  assert.equal(await balanceOf(a!), 42n);
});

test('a writer whose rows another writer keeps changing stops trying one round trip, and tries again once it stops', async () => {
  const writer = createLedgerContext(database.pool, systemClock, settings, pino({ level: 'silent' }));
  const other = createLedgerContext(database.pool, systemClock, settings, pino({ level: 'silent' }));
  const [a, b] = await openAccounts(writer, 2);
  await commitAndRespond(writer, [deposit(a!, 1_000n)]);
  for (let round = 0; round < 48; round++) {
    await commitAndRespond(other, [deposit(b!, 1n)]);
    assert.equal((await commitAndRespond(writer, [transfer(a!, b!, 1n)]))[0]!.statusCode, 201);
  }
  // Each attempt met a changed row. Five in a row close the gate; then one probe in 16 tries.
  assert.equal(writer.oneRoundTrip.committed, 0);
  assert.equal(writer.oneRoundTrip.fellBack, 5 + 2);

  for (let round = 0; round < 20; round++) await commitAndRespond(writer, [transfer(a!, b!, 1n)]);
  // The first probe of the quiet time committed and opened the gate again.
  assert.ok(writer.oneRoundTrip.committed >= 4, `committed ${writer.oneRoundTrip.committed}`);
  const committed = writer.oneRoundTrip.committed;
  await commitAndRespond(writer, [transfer(a!, b!, 1n)]);
  assert.equal(writer.oneRoundTrip.committed, committed + 1);
  assert.equal(await balanceOf(a!), 1_000n - 69n);
  assert.equal(await balanceOf(b!), 48n + 69n);
  assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool)), []);
});

test('the lock refuses a row whose balance or version differs from the plan, under the lock', async () => {
  const [a] = await openAccounts(replicaA, 1);
  await commitAndRespond(replicaA, [deposit(a!, 10n)]);
  const lockAsPlanned = (balance: string, version: string) =>
    database.pool.query('SELECT lock_accounts_as_planned($1::uuid[], $2::numeric[], $3::bigint[])', [[a], [balance], [version]]);
  await lockAsPlanned('10', '1');
  await assert.rejects(lockAsPlanned('11', '1'), { code: 'WL002' });
  await assert.rejects(lockAsPlanned('10', '0'), { code: 'WL002' });
  await assert.rejects(
    database.pool.query('SELECT lock_accounts_as_planned($1::uuid[], $2::numeric[], $3::bigint[])', [[newId()], ['0'], ['0']]),
    { code: 'WL002' },
    'an account that does not exist is a changed row too',
  );
});

test('the write refuses to run outside a transaction that a lock statement marked, and writes nothing', async () => {
  const [a] = await openAccounts(replicaA, 1);
  const row: AccountState = { id: a!, kind: 'user', currency: 'USD', balance: 0n, version: 0n, pending_debits: 0n, pending_credits: 0n, status: 'active', overdraft_limit: 0n };
  const settlement = (await database.pool.query(`SELECT id FROM accounts WHERE kind = 'settlement' AND currency = 'USD'`)).rows[0];
  assert.ok(settlement, 'an earlier test opened the USD settlement account');
  const settlementRow: AccountState = { ...row, id: settlement.id as string, kind: 'settlement', balance: -1_000_000n, version: 1_000n };
  const plan = planBatch([deposit(a!, 5n)], new Map([[a!, row], [settlementRow.id, settlementRow]]), new Set(), new Date(), settings);
  const transactionsBefore = await countOf('ledger_transactions');
  const client = await database.pool.connect();
  try {
    // As if BEGIN had failed: the pipelined write would run on its own.
    await assert.rejects(client.query(writeBatch(plan)), { code: 'WL003' });
    // In a transaction, but one that locked nothing.
    await client.query('BEGIN');
    await assert.rejects(client.query(writeBatch(plan)), { code: 'WL003' });
    await client.query('ROLLBACK');
  } finally {
    client.release();
  }
  assert.equal(await countOf('ledger_transactions'), transactionsBefore);
  assert.equal(await balanceOf(a!), 0n);
});
