// Proves that an outbox row is stored whole: an account.created event whose payload (the account
// with 2 KB of metadata) makes a row over the size past which PostgreSQL would compress it, is
// written uncompressed and reads back as written; and that a hold's events are stored as the
// hold's id alone (rendered by the relay, test/relay/holdEventBodies.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fundedAccount, newKey, startTestService } from '../support/service.js';

test('an event row past 2 KB is stored uncompressed and reads back whole; a hold event row names only its hold', async () => {
  const api = await startTestService();
  try {
    const note = 'n'.repeat(2_200);
    const account = await api.request('POST', '/v1/accounts', { body: { currency: 'USD', metadata: { note } }, idempotencyKey: newKey() });
    assert.equal(account.status, 201);
    const { rows } = await api.database.pool.query(
      `SELECT pg_column_compression(payload) AS compression, pg_column_size(o.*) AS row_bytes, payload
       FROM outbox o WHERE event_type = 'account.created' AND payload->>'subject' = $1`,
      [account.body.id],
    );
    assert.equal(rows.length, 1);
    // Past the 2 KB at which PostgreSQL's default would compress it.
    assert.ok(rows[0].row_bytes > 2032, `row of ${rows[0].row_bytes} bytes`);
    assert.equal(rows[0].compression, null);
    assert.equal(rows[0].payload.data.metadata.note, note);

    const source = await fundedAccount(api, 'USD', 500n);
    const hold = await api.request('POST', '/v1/holds', {
      body: { source_account_id: source, amount: '10', description: 'order o-123', metadata: { order: 'o-123' } },
      idempotencyKey: newKey(),
    });
    assert.equal(hold.status, 201);
    const held = await api.database.pool.query(
      `SELECT payload, transaction_id, pg_column_size(o.*) AS row_bytes FROM outbox o WHERE hold_id = $1`,
      [hold.body.id],
    );
    assert.equal(held.rows.length, 1);
    assert.deepEqual({ ...held.rows[0], row_bytes: undefined }, { payload: null, transaction_id: null, row_bytes: undefined });
    assert.ok(held.rows[0].row_bytes < 300, `row of ${held.rows[0].row_bytes} bytes`);
  } finally {
    await api.close();
  }
});
