// Proves the partitioned writer keeps the ledger sound with concurrent transfers, both with
// partitions on the main thread and with each partition in its own worker thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { fundedAccount, newKey, startTestService } from '../support/service.js';

for (const mode of ['inline', 'worker'] as const) {
  test(`${mode} partitions: 300 concurrent transfers over 6 accounts keep every invariant`, async () => {
    const api = await startTestService({ PARTITION_MODE: mode, PARTITIONS: '3', BATCH_MAX: '16' });
    try {
      const accounts = await Promise.all(Array.from({ length: 6 }, () => fundedAccount(api, 'USD', 1_000n)));
      const transfers = Array.from({ length: 300 }, (_, index) => ({
        source_account_id: accounts[index % 6],
        destination_account_id: accounts[(index * 7 + 1) % 6],
        amount: String(1 + (index % 97)),
      })).filter((body) => body.source_account_id !== body.destination_account_id);
      const responses = await Promise.all(
        transfers.map((body) => api.request('POST', '/v1/transactions/transfer', { body, idempotencyKey: newKey() })),
      );
      const statuses = new Set(responses.map((response) => response.status));
      assert.ok([...statuses].every((status) => status === 201 || status === 422), `statuses: ${[...statuses]}`);
      assert.ok(responses.filter((response) => response.status === 201).length > 100);
      assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
      const total = await api.database.pool.query(`SELECT sum(balance)::text AS total FROM accounts WHERE kind = 'user'`);
      assert.equal(total.rows[0].total, '6000');
    } finally {
      await api.close();
    }
  });
}
