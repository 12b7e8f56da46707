// Proves holds stay correct with two writers of the same accounts (two LedgerContexts on one
// database, as two replicas): captures and voids of one hold racing across them have one winner,
// a writer whose remembered pending sums are stale never lets held money be spent, two writers
// expiring the same due holds expire each once, and the ledger verifies sound afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import { newId } from '../../src/ids.js';
import { commitAndRespond } from '../../partitions/commitAndRespond.js';
import { readDueHolds } from '../../src/ledger/sql/readDueHolds.js';
import { createLedgerContext, type LedgerContext } from '../../src/ledger/ledgerContext.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { planSettings } from '../support/ledgerSettings.js';

let database: TestDatabase;
let replicaA: LedgerContext;
let replicaB: LedgerContext;
let keys = 0;

before(async () => {
  database = await createTestDatabase();
  const logger = pino({ level: 'silent' });
  replicaA = createLedgerContext(database.pool, systemClock, planSettings(), logger);
  replicaB = createLedgerContext(database.pool, systemClock, planSettings(), logger);
});
after(() => database.drop());

const claim = () => ({ key: `writers-${++keys}`, fingerprint: `fp-${keys}` });
const HOUR_MS = 3_600_000;

async function openFunded(funds: bigint): Promise<string> {
  const accountId = newId();
  await commitAndRespond(replicaA, [{ kind: 'open_account', accountId, currency: 'USD', externalRef: null, metadata: {}, idempotency: undefined }]);
  if (funds > 0n) {
    await commitAndRespond(replicaA, [{ kind: 'deposit', accountId, amount: funds, currency: undefined, description: null, metadata: {}, idempotency: claim() }]);
  }
  return accountId;
}

function createHold(sourceAccountId: string, destinationAccountId: string, amount: bigint, holdId = newId()): LedgerOperation {
  return {
    kind: 'create_hold', holdId, sourceAccountId, destinationAccountId, amount, currency: undefined,
    expiresAt: new Date(Date.now() + HOUR_MS), description: null, metadata: {}, idempotency: claim(),
  };
}

test('captures and voids of one hold racing across two writers: exactly one wins', async () => {
  const source = await openFunded(10_000n);
  const destination = await openFunded(0n);
  for (let round = 0; round < 10; round++) {
    const holdId = newId();
    const [created] = await commitAndRespond(replicaA, [createHold(source, destination, 10n, holdId)]);
    assert.equal(created!.statusCode, 201, created!.body);
    const onHold = { holdId, sourceAccountId: source, destinationAccountId: destination };
    const capture = (): LedgerOperation => ({ kind: 'capture_hold', ...onHold, amount: undefined, idempotency: claim() });
    const voidHold = (): LedgerOperation => ({ kind: 'void_hold', ...onHold, idempotency: claim() });
    const answers = (await Promise.all([
      commitAndRespond(replicaA, [capture(), voidHold()]),
      commitAndRespond(replicaB, [voidHold(), capture()]),
      commitAndRespond(replicaB, [capture()]),
    ])).flat();
    const won = answers.filter((answer) => answer.statusCode < 300);
    assert.equal(won.length, 1, answers.map((answer) => answer.body).join('\n'));
    assert.ok(answers.filter((answer) => answer.statusCode >= 300).every((answer) => answer.statusCode === 409));
  }
  assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool)), []);
});

test('a writer whose remembered pending sums are stale cannot spend what the other writer held', async () => {
  const source = await openFunded(100n);
  const destination = await openFunded(0n);
  // Both writers remember the source as it is now (each commits a transfer of it).
  const transfer = (amount: bigint): LedgerOperation => ({
    kind: 'transfer', sourceAccountId: source, destinationAccountId: destination, amount, currency: undefined, description: null, metadata: {},
    idempotency: claim(),
  });
  assert.equal((await commitAndRespond(replicaA, [transfer(1n)]))[0]!.statusCode, 201);
  assert.equal((await commitAndRespond(replicaB, [transfer(1n)]))[0]!.statusCode, 201);
  assert.equal((await commitAndRespond(replicaA, [transfer(1n)]))[0]!.statusCode, 201);
  // A holds 90 of the 97; B still remembers the source with nothing held (and an older balance).
  assert.equal((await commitAndRespond(replicaA, [createHold(source, destination, 90n)]))[0]!.statusCode, 201);
  const spent = await commitAndRespond(replicaB, [transfer(8n), createHold(source, destination, 8n)]);
  assert.deepEqual(spent.map((answer) => [answer.statusCode, JSON.parse(answer.body).code]), [[422, 'insufficient_funds'], [422, 'insufficient_funds']]);
  assert.equal((await commitAndRespond(replicaB, [transfer(7n)]))[0]!.statusCode, 201);
  const row = await database.pool.query('SELECT balance::text, pending_debits::text FROM accounts WHERE id = $1', [source]);
  assert.deepEqual(row.rows[0], { balance: '90', pending_debits: '90' });
  assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool)), []);
});

test('two writers sweeping the same due holds expire each once; the later expiry changes nothing', async () => {
  const source = await openFunded(100n);
  const destination = await openFunded(0n);
  const holdIds = Array.from({ length: 5 }, () => newId());
  const due = holdIds.map((holdId) => ({ ...createHold(source, destination, 10n, holdId), expiresAt: new Date(Date.now() - 1) }) as LedgerOperation);
  assert.ok((await commitAndRespond(replicaA, due)).every((answer) => answer.statusCode === 201));
  const found = (await readDueHolds(database.pool, new Date(), 500)).filter((hold) => holdIds.includes(hold.id));
  assert.equal(found.length, 5);
  const expiries = found.map((hold): LedgerOperation => ({
    kind: 'expire_hold', holdId: hold.id, sourceAccountId: hold.source_account_id, destinationAccountId: hold.destination_account_id, idempotency: undefined,
  }));
  const answers = (await Promise.all([commitAndRespond(replicaA, expiries), commitAndRespond(replicaB, expiries)])).flat();
  assert.equal(answers.filter((answer) => answer.statusCode === 200).length, 5);
  assert.ok(answers.filter((answer) => answer.statusCode !== 200).every((answer) => answer.statusCode === 409));
  const changes = await database.pool.query(`SELECT count(*)::int AS n FROM hold_changes WHERE status = 'expired' AND hold_id = ANY($1::uuid[])`, [holdIds]);
  assert.equal(changes.rows[0].n, 5);
  const row = await database.pool.query('SELECT pending_debits::text FROM accounts WHERE id = $1', [source]);
  assert.equal(row.rows[0].pending_debits, '0');
  assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool)), []);
});
