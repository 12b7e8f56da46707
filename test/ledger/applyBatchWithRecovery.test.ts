// Proves the failure policy keeps failures local: a batch that the database refuses because of one
// operation is split until only that operation fails, and its batch-mates commit; a key another
// writer stores while the batch runs is replayed, never applied twice; a batch that reaches a
// server that cannot write (a standby mid-failover) is answered 503 and its connection dropped; and
// a batch, however large, wakes listeners with one NOTIFY.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import { newId } from '../../src/ids.js';
import { commitAndRespond } from '../../partitions/commitAndRespond.js';
import { createLedgerContext, type LedgerContext } from '../../src/ledger/ledgerContext.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import { createPool } from '../../src/db/pool.js';
import { createTestDatabase, whileReadOnly, type TestDatabase } from '../support/database.js';
import { planSettings, quietLedgerContext } from '../support/ledgerSettings.js';

let database: TestDatabase;
let context: LedgerContext;
const logged: string[] = [];

before(async () => {
  database = await createTestDatabase();
  const logger = { error: (_: object, message: string) => logged.push(message), warn: () => {}, info: () => {}, debug: () => {} };
  context = createLedgerContext(database.pool, systemClock, planSettings(), logger);
});
after(() => database.drop());

function open(metadata: Record<string, unknown> = {}): LedgerOperation & { accountId: string } {
  return { kind: 'open_account', accountId: newId(), currency: 'USD', externalRef: null, metadata, idempotency: undefined };
}

test('one operation the database refuses fails alone; its batch-mates commit', async () => {
  // PostgreSQL's jsonb cannot hold the NUL character, which the planner does not know: only the
  // database refuses it, for the whole statement, so the batch must be split to find the culprit.
  const operations = Array.from({ length: 9 }, () => open());
  const guilty = open({ note: 'nul \u0000 byte' });
  operations.splice(5, 0, guilty);
  const splitsBefore = context.counters.splits;
  const results = await commitAndRespond(context, operations);
  assert.deepEqual(results.map((result) => result.statusCode), [201, 201, 201, 201, 201, 500, 201, 201, 201, 201]);
  // 10 → 5 + 5, the guilty five → 3 + 2, three → 2 + 1, two → 1 + 1: each halving is counted for the metrics.
  assert.equal(context.counters.splits - splitsBefore, 4);
  assert.equal(JSON.parse(results[5]!.body).code, 'internal_error');
  const stored = await database.pool.query('SELECT id FROM accounts WHERE id = ANY($1::uuid[])', [operations.map((op) => op.accountId)]);
  assert.equal(stored.rowCount, 9);
  assert.ok(!stored.rows.some((row) => row.id === guilty.accountId));
  assert.equal(logged.length, 1, 'the unexpected failure is logged once');
});

test('a batch on a server that only reads (a standby being promoted) is answered 503 not applied, and its connection is not kept', async () => {
  // A session opened while the database defaults to read-only transactions refuses writes with the
  // standby's SQLSTATE (25006). The one-connection pool shows the refused session was dropped: the
  // next batch, once the database writes again, gets a new session and commits.
  const pool = createPool(database.url, 1, { applicationName: 'wallet-ledger-test-read-only' });
  const readOnlyContext = quietLedgerContext(pool);
  try {
    const refused = open();
    const [answer] = await whileReadOnly(database, () => commitAndRespond(readOnlyContext, [refused]));
    assert.equal(answer!.statusCode, 503);
    assert.equal(JSON.parse(answer!.body).code, 'service_unavailable');
    const accepted = open();
    const [next] = await commitAndRespond(readOnlyContext, [accepted]);
    assert.equal(next!.statusCode, 201);
    const stored = await database.pool.query('SELECT id FROM accounts WHERE id = ANY($1::uuid[])', [[refused.accountId, accepted.accountId]]);
    assert.deepEqual(stored.rows.map((row) => row.id), [accepted.accountId], 'the refused batch wrote nothing');
  } finally {
    await pool.end();
  }
});

test('a batch of many operations sends one NOTIFY', async () => {
  const listener = new pg.Client({ connectionString: database.url });
  await listener.connect();
  const notifications: string[] = [];
  listener.on('notification', (message) => notifications.push(message.channel));
  await listener.query('LISTEN outbox');
  try {
    const results = await commitAndRespond(context, Array.from({ length: 50 }, () => open()));
    assert.ok(results.every((result) => result.statusCode === 201));
    // Notifications arrive after commit; give the socket a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(notifications, ['outbox']);
  } finally {
    await listener.end();
  }
});

test('a key another writer stores while the batch waits for its lock fails the write in SQL; the batch runs again and replays it', async () => {
  const account = open();
  assert.equal((await commitAndRespond(context, [account]))[0]!.statusCode, 201);
  const blocker = new pg.Client({ connectionString: database.url });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [account.accountId]);
    const idempotency = { key: `race-${newId()}`, fingerprint: 'same-request' };
    const deposit: LedgerOperation = { kind: 'deposit', accountId: account.accountId, amount: 5n, currency: undefined, description: null, metadata: {}, idempotency };
    const retriesBefore = context.counters.retries;
    const pending = commitAndRespond(context, [deposit]);
    await waitForLockWaiter();
    // The batch has read "no stored outcome" and waits for the account; the other writer wins the key.
    await blocker.query(
      `INSERT INTO idempotency_keys (key, fingerprint, status_code, response_body, created_at, expires_at)
       VALUES ($1, $2, 201, '{"stored":"by the other writer"}', now(), now() + interval '1 hour')`,
      [idempotency.key, idempotency.fingerprint],
    );
    await blocker.query('COMMIT');
    const [result] = await pending;
    assert.deepEqual(result, { statusCode: 201, body: '{"stored":"by the other writer"}', replayed: true });
    assert.equal(context.counters.retries - retriesBefore, 1, 'the run again is counted as a retry');
    const balance = await database.pool.query<{ balance: string }>('SELECT balance::text FROM accounts WHERE id = $1', [account.accountId]);
    assert.equal(balance.rows[0]!.balance, '0', 'the deposit was not applied');
  } finally {
    await blocker.end();
  }
});

async function waitForLockWaiter(): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const waiting = await database.pool.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (waiting.rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the batch never waited for the locked account');
}
