// Proves the failure policy keeps failures local: a batch that the database refuses because of one
// operation is split until only that operation fails, and its batch-mates commit; and a batch,
// however large, wakes listeners with one NOTIFY.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import { newId } from '../../src/ids.js';
import { commitBatch } from '../../src/ledger/commitBatch.js';
import { createLedgerContext, type LedgerContext } from '../../src/ledger/ledgerContext.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
let context: LedgerContext;
const logged: string[] = [];

before(async () => {
  database = await createTestDatabase();
  const logger = { error: (_: object, message: string) => logged.push(message), warn: () => {} };
  context = createLedgerContext(database.pool, systemClock, { idempotencyTtlMs: 3_600_000, routingKeyPrefix: 'ledger' }, logger);
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
  const results = await commitBatch(context, operations);
  assert.deepEqual(results.map((result) => result.statusCode), [201, 201, 201, 201, 201, 500, 201, 201, 201, 201]);
  assert.equal(JSON.parse(results[5]!.body).code, 'internal_error');
  const stored = await database.pool.query('SELECT id FROM accounts WHERE id = ANY($1::uuid[])', [operations.map((op) => op.accountId)]);
  assert.equal(stored.rowCount, 9);
  assert.ok(!stored.rows.some((row) => row.id === guilty.accountId));
  assert.equal(logged.length, 1, 'the unexpected failure is logged once');
});

test('a batch of many operations sends one NOTIFY', async () => {
  const listener = new pg.Client({ connectionString: database.url });
  await listener.connect();
  const notifications: string[] = [];
  listener.on('notification', (message) => notifications.push(message.channel));
  await listener.query('LISTEN outbox');
  try {
    const results = await commitBatch(context, Array.from({ length: 50 }, () => open()));
    assert.ok(results.every((result) => result.statusCode === 201));
    // Notifications arrive after commit; give the socket a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(notifications, ['outbox']);
  } finally {
    await listener.end();
  }
});
