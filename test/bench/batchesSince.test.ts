// Proves the bench counts operations per batch from what the write path stamps: a batch of
// deposits and holds (which write no ledger transaction until captured) counts every operation in
// it, and two batches count as two.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchesSince } from '../../bench/database.js';
import { commitAndRespond } from '../../partitions/commitAndRespond.js';
import { newId } from '../../src/ids.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import { createTestDatabase } from '../support/database.js';
import { quietLedgerContext } from '../support/ledgerSettings.js';

let keys = 0;

const claim = () => ({ key: `batches-${++keys}`, fingerprint: `fp-${keys}` });

function open(accountId: string): LedgerOperation {
  return { kind: 'open_account', accountId, currency: 'USD', externalRef: null, metadata: {}, idempotency: undefined };
}

function deposit(accountId: string): LedgerOperation {
  return { kind: 'deposit', accountId, amount: 100n, currency: undefined, description: null, metadata: {}, idempotency: claim() };
}

function hold(sourceAccountId: string, destinationAccountId: string): LedgerOperation {
  return {
    kind: 'create_hold', holdId: newId(), sourceAccountId, destinationAccountId, amount: 1n, currency: undefined,
    expiresAt: new Date(Date.now() + 60_000), description: null, metadata: {}, idempotency: claim(),
  };
}

test('operations per batch count holds as well as ledger transactions', async () => {
  const database = await createTestDatabase();
  const context = quietLedgerContext(database.pool);
  try {
    const [a, b] = [newId(), newId()];
    await commitAndRespond(context, [open(a), open(b)]);
    await commitAndRespond(context, [deposit(a), deposit(b)]);
    const since = new Date();
    const first = await commitAndRespond(context, [hold(a, b), hold(b, a), deposit(a)]);
    const second = await commitAndRespond(context, [hold(a, b)]);
    assert.deepEqual([...first, ...second].map((answer) => answer.statusCode), [201, 201, 201, 201]);
    assert.deepEqual(await batchesSince(database.url, since), { operations: 4, batches: 2 });
  } finally {
    await database.drop();
  }
});
