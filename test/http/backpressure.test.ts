// Proves backpressure at the edge: past QUEUE_MAX queued writes, a write is answered at once with
// 503 overloaded and Retry-After, nothing is applied for it, and every accepted write is applied.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';

let api: TestService;
let account: string;
before(async () => {
  api = await startTestService({ PARTITIONS: '1', BATCH_MAX: '2', QUEUE_MAX: '3' });
  account = await fundedAccount(api, 'USD', 0n);
});
after(() => api.close());

test('writes beyond the queue bound are refused with 503 overloaded and Retry-After', async () => {
  const responses = await Promise.all(
    Array.from({ length: 40 }, () =>
      api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '1' }, idempotencyKey: newKey() }),
    ),
  );
  const refused = responses.filter((response) => response.status === 503);
  const applied = responses.filter((response) => response.status === 201);
  assert.equal(refused.length + applied.length, 40);
  assert.ok(refused.length > 0, 'the bound was reached');
  for (const response of refused) {
    assert.equal(response.body.code, 'overloaded');
    assert.equal(response.headers['retry-after'], '1');
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  }
  const balance = await api.database.pool.query('SELECT balance::text FROM accounts WHERE id = $1', [account]);
  assert.equal(balance.rows[0].balance, String(applied.length));
});
