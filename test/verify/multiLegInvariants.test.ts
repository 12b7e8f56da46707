// Proves `verify`'s multi-leg checks pass on multi-leg transactions as posted, in one currency or
// several, and name a multi-leg transaction whose entries no longer balance in each currency or no
// longer pair into legs (a USD debit answered by a EUR credit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../src/ids.js';
import { checkLedgerInvariants } from '../../src/verify/ledgerInvariants.js';
import { fundedAccount, newKey, startTestService } from '../support/service.js';

test('multi-leg checks pass as posted and name a transaction whose currencies no longer balance', async () => {
  const api = await startTestService();
  try {
    const [usd, usd2, eur, eur2] = [
      await fundedAccount(api, 'USD', 100n), await fundedAccount(api, 'USD', 0n), await fundedAccount(api, 'EUR', 100n), await fundedAccount(api, 'EUR', 0n),
    ];
    const posted = await api.request('POST', '/v1/transactions', {
      body: { legs: [{ source_account_id: usd, destination_account_id: usd2, amount: '5' }, { source_account_id: eur, destination_account_id: eur2, amount: '7' }] },
      idempotencyKey: newKey(),
    });
    assert.equal(posted.status, 201, posted.raw);
    const violated = async () => (await checkLedgerInvariants(api.database.pool)).filter((result) => result.violations.length > 0).map((result) => result.name);
    assert.deepEqual(await violated(), []);

    // Balanced as a whole (5 out, 5 in), but 5 USD leave and 5 EUR arrive.
    const id = posted.body.id as string;
    await api.database.pool.query(
      `INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
       VALUES ($1, $3, $4, 'debit', 5, 90, 3, now()), ($2, $3, $5, 'credit', 5, 12, 2, now())`,
      [newId(), newId(), id, usd, eur2],
    );
    const names = await violated();
    assert.ok(names.includes('multi_leg_balanced_per_currency'), names.join());
    assert.ok(names.includes('multi_leg_legs_paired'), names.join());
  } finally {
    await api.close();
  }
});
