// Proves GET /v1/transactions/{id}: it returns exactly the body the write returned, for every
// transaction type, and 404 transaction_not_found for an unknown id.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { assertProblem, JSON_CONTENT_TYPE, UNKNOWN_ID } from './helpers.js';

describe('GET /v1/transactions/{id}', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  test('each posted transaction reads back identical to its 201 body', async () => {
    const source = await fundedAccount(api, 'USD', 0n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const writes = [
      ['/v1/transactions/deposit', { account_id: source, amount: '900', metadata: { k: [1, 2] } }],
      ['/v1/transactions/withdraw', { account_id: source, amount: '100', description: 'fee' }],
      ['/v1/transactions/transfer', { source_account_id: source, destination_account_id: destination, amount: '300' }],
    ] as const;
    for (const [path, body] of writes) {
      const written = await api.request('POST', path, { body, idempotencyKey: newKey() });
      assert.equal(written.status, 201);
      const read = await api.request('GET', `/v1/transactions/${written.body.id}`);
      assert.equal(read.status, 200);
      assert.equal(read.headers['content-type'], JSON_CONTENT_TYPE);
      assert.deepEqual(read.body, written.body);
      assert.equal(read.body.entries.length, 2);
      assert.equal(read.body.entries[0].direction, 'debit');
      assert.equal(read.body.entries[1].direction, 'credit');
    }
  });

  test('an unknown transaction is 404 transaction_not_found', async () => {
    const response = await api.request('GET', `/v1/transactions/${UNKNOWN_ID}`);
    assertProblem(response, 404, 'transaction_not_found');
  });

  test('an account id is not a transaction id', async () => {
    const account = await fundedAccount(api, 'EUR', 0n);
    const response = await api.request('GET', `/v1/transactions/${account}`);
    assertProblem(response, 404, 'transaction_not_found');
  });
});
