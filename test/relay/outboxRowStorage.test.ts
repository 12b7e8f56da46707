// Proves that an outbox row is stored whole: a hold.captured event, whose payload (the hold and its
// capture's transaction) makes a row just over the size past which PostgreSQL would compress it,
// is written uncompressed, and reads back as written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fundedAccount, newKey, startTestService } from '../support/service.js';

test('a hold.captured event row is stored uncompressed and reads back whole', async () => {
  const api = await startTestService();
  try {
    const source = await fundedAccount(api, 'USD', 500n);
    const destination = await fundedAccount(api, 'USD', 1n);
    const hold = await api.request('POST', '/v1/holds', {
      body: { source_account_id: source, destination_account_id: destination, amount: '10', description: 'order o-123', metadata: { order: 'o-123' } },
      idempotencyKey: newKey(),
    });
    assert.equal(hold.status, 201);
    const capture = await api.request('POST', `/v1/holds/${hold.body.id}/capture`, { body: {}, idempotencyKey: newKey() });
    assert.equal(capture.status, 201);
    const { rows } = await api.database.pool.query(
      `SELECT pg_column_compression(payload) AS compression, pg_column_size(o.*) AS row_bytes, payload
       FROM outbox o WHERE event_type = 'hold.captured'`,
    );
    assert.equal(rows.length, 1);
    // Past the 2 KB at which PostgreSQL's default would compress it.
    assert.ok(rows[0].row_bytes > 2032, `row of ${rows[0].row_bytes} bytes`);
    assert.equal(rows[0].compression, null);
    assert.equal(rows[0].payload.data.hold.id, hold.body.id);
    assert.equal(rows[0].payload.data.transaction.id, capture.body.id);
  } finally {
    await api.close();
  }
});
