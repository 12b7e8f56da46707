// Proves the authorize-then-capture pgbench baseline does both steps on the plain tables under
// concurrent clients, in both lock variants, without a deadlock and with the ledger's and the holds'
// invariants intact (each captured hold has its ledger transaction, change and events; pending sums
// equal the pending holds; the run's holds check says so, and names each broken one), and that its
// refusals hold: no reservation beyond the available balance, no capture of a hold that is not
// pending, no transfer spending held money.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accountId } from '../../bench/accounts.js';
import { checkPlainHolds } from '../../bench/holdCheck.js';
import { authorizeCaptureScriptFile } from '../../bench/holdScripts.js';
import { findPgbench, startBaseline, type BaselineResult } from '../../bench/pgbench.js';
import { createPlainBaseline } from '../../bench/plainBaseline.js';
import { checkLedger, seedAccounts } from '../../bench/seed.js';
import { PLAIN_VARIANTS, type PlainVariant } from '../../bench/transferScripts.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const ACCOUNTS = 20;
/** The pairs run between the first few accounts only: they meet on the same rows, so a lock order that could deadlock does. */
const CONTENDED_ACCOUNTS = 4;
const PGBENCH_CLIENTS = 8;
const PGBENCH_SECONDS = 2;
const FINGERPRINT = 'b'.repeat(64);
let database: TestDatabase;

before(async () => {
  database = await createTestDatabase(2);
  await seedAccounts(database.url, ACCOUNTS);
  await createPlainBaseline(database.url);
});

after(async () => {
  await database.drop();
});

function runPairs(url: string, variant: PlainVariant, durationSeconds: number, edit: (script: string) => string = (script) => script): Promise<BaselineResult> {
  const file = authorizeCaptureScriptFile({ accounts: CONTENDED_ACCOUNTS, variant });
  return startBaseline({
    binary: findPgbench(), databaseUrl: url, script: { name: file.name, text: edit(file.text) }, clients: PGBENCH_CLIENTS,
    durationSeconds, samples: { fingerprint: FINGERPRINT }, label: `authorize-capture ${variant}`,
  }).then((running) => running.result);
}

test('both variants authorize and capture under concurrent clients, keeping the ledger\'s and the holds\' invariants', async () => {
  let pairs = 0;
  for (const variant of PLAIN_VARIANTS) {
    const result = await runPairs(database.url, variant, PGBENCH_SECONDS);
    assert.equal(result.failed, 0, `${variant}: no pair failed (no deadlock)`);
    assert.ok(result.transactions > 0, `${variant}: pgbench completed pairs`);
    pairs += result.transactions;
  }
  const check = await checkLedger(database.url, 'baseline');
  assert.deepEqual(check, { passed: true, problems: [], transactions: ACCOUNTS + pairs });
  assert.deepEqual(await checkPlainHolds(database.url), []);
  const counts = await database.pool.query(`
    SELECT (SELECT count(*) FROM baseline.holds WHERE status = 'captured' AND captured_amount = amount) AS captured,
           (SELECT count(*) FROM baseline.holds WHERE status <> 'captured') AS other,
           (SELECT count(*) FROM baseline.ledger_transactions t JOIN baseline.holds h ON h.id = t.hold_id
             WHERE h.capture_transaction_id = t.id AND t.amount = h.amount) AS transactions,
           (SELECT count(*) FROM baseline.hold_changes c JOIN baseline.holds h ON h.id = c.hold_id
             WHERE c.transaction_id = h.capture_transaction_id AND c.status = 'captured') AS changes,
           (SELECT count(*) FROM baseline.hold_changes WHERE status = 'pending') AS opened,
           (SELECT count(*) FROM baseline.outbox o JOIN baseline.holds h ON h.id = o.hold_id
             WHERE o.event_type = 'hold.captured' AND o.transaction_id IS NULL AND o.payload IS NULL) AS captured_events,
           (SELECT count(*) FROM baseline.outbox o JOIN baseline.holds h ON h.id = o.hold_id
             WHERE o.event_type = 'hold.created' AND o.transaction_id IS NULL AND o.payload IS NULL) AS created_events,
           (SELECT count(*) FROM baseline.outbox o JOIN baseline.holds h ON h.capture_transaction_id = o.transaction_id
             WHERE o.event_type = 'transfer.posted') AS posted_events,
           (SELECT count(*) FROM baseline.outbox WHERE event_type IN ('hold.created', 'hold.captured', 'transfer.posted')) AS events,
           (SELECT count(*) FROM baseline.idempotency_keys k JOIN baseline.holds h ON h.id = k.hold_id WHERE k.response_body IS NULL) AS hold_keys,
           (SELECT count(*) FROM baseline.idempotency_keys) AS keys`);
  const pairsText = String(pairs);
  assert.deepEqual(counts.rows[0], {
    captured: pairsText, other: '0', transactions: pairsText, changes: pairsText, opened: pairsText, captured_events: pairsText,
    created_events: pairsText, posted_events: pairsText, events: String(3 * pairs), hold_keys: pairsText, keys: String(2 * pairs),
  });
});

test('the holds check names a pending sum that drifted and a capture whose ledger transaction is not the hold\'s', async () => {
  await database.pool.query('UPDATE baseline.accounts SET pending_credits = pending_credits + 1 WHERE id = $1', [accountId(1)]);
  const captured = await database.pool.query<{ id: string; capture_transaction_id: string }>("SELECT id, capture_transaction_id FROM baseline.holds WHERE status = 'captured' LIMIT 1");
  const hold = captured.rows[0]!;
  await database.pool.query('UPDATE baseline.holds SET capture_transaction_id = gen_random_uuid() WHERE id = $1', [hold.id]);
  try {
    assert.deepEqual(await checkPlainHolds(database.url), [
      '1 accounts whose pending sums disagree with their pending holds',
      '1 captured holds without exactly one ledger transaction and one change for their capture',
    ]);
  } finally {
    await database.pool.query('UPDATE baseline.accounts SET pending_credits = pending_credits - 1 WHERE id = $1', [accountId(1)]);
    await database.pool.query('UPDATE baseline.holds SET capture_transaction_id = $2 WHERE id = $1', [hold.id, hold.capture_transaction_id]);
  }
  assert.deepEqual(await checkPlainHolds(database.url), []);
});

test('a hold beyond the available balance is refused and its database transaction writes nothing', async () => {
  const drained = await createTestDatabase(2);
  try {
    await seedAccounts(drained.url, ACCOUNTS);
    await createPlainBaseline(drained.url);
    // Every wallet empty: whatever the amount, each reservation would take available below zero.
    await drained.pool.query("UPDATE baseline.accounts SET balance = 0 WHERE kind = 'user'");
    const snapshot = () => drained.pool.query(`
      SELECT (SELECT count(*) FROM baseline.holds) AS holds, (SELECT count(*) FROM baseline.outbox) AS outbox,
             (SELECT count(*) FROM baseline.idempotency_keys) AS keys,
             (SELECT json_agg(json_build_object('id', id, 'pending_debits', pending_debits::text, 'pending_credits', pending_credits::text) ORDER BY id) FROM baseline.accounts) AS accounts`);
    const before = (await snapshot()).rows[0];
    for (const variant of PLAIN_VARIANTS) {
      await assert.rejects(runPairs(drained.url, variant, 1), /violates check constraint "accounts_check"/);
    }
    assert.deepEqual((await snapshot()).rows[0], before);
  } finally {
    await drained.drop();
  }
});

test('the capture of a hold that is not pending is refused and writes nothing', async () => {
  const ledgerTransactions = async () => (await database.pool.query('SELECT count(*) AS count FROM baseline.ledger_transactions')).rows[0].count;
  const before = await ledgerTransactions();
  // Each authorize writes its hold already voided: its capture must find nothing to claim.
  const voided = (script: string) => script.replace("VALUES (bench.uuid_v7(), 'pending',", "VALUES (bench.uuid_v7(), 'voided',");
  for (const variant of PLAIN_VARIANTS) {
    const text = authorizeCaptureScriptFile({ accounts: CONTENDED_ACCOUNTS, variant }).text;
    assert.notEqual(voided(text), text, 'the script writes its holds pending');
    await assert.rejects(runPairs(database.url, variant, 1, voided), /expected one row, got 0/);
  }
  assert.equal(await ledgerTransactions(), before);
  const captured = await database.pool.query("SELECT count(*) AS count FROM baseline.holds WHERE status = 'voided' AND capture_transaction_id IS NOT NULL");
  assert.equal(captured.rows[0].count, '0');
});

test('a transfer cannot spend money a pending hold reserves', async () => {
  await database.pool.query('UPDATE baseline.accounts SET pending_debits = balance WHERE id = $1', [accountId(ACCOUNTS)]);
  await assert.rejects(
    database.pool.query('UPDATE baseline.accounts SET balance = balance - 1 WHERE id = $1', [accountId(ACCOUNTS)]),
    (error: { code?: string; constraint?: string }) => error.code === '23514' && error.constraint === 'accounts_check',
  );
  await database.pool.query('UPDATE baseline.accounts SET pending_debits = 0 WHERE id = $1', [accountId(ACCOUNTS)]);
});
