// Proves `verify` passes on a sound ledger and fails, naming the broken invariant, when a balance
// no longer matches its entries or a currency no longer sums to zero.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROJECT_ROOT } from '../../src/paths.js';
import { fundedAccount, startTestService } from '../support/service.js';

function runVerify(databaseUrl: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src/main/verify.ts')], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, ENVIRONMENT: 'test', DATABASE_URL: databaseUrl },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

test('verify passes on a sound ledger and names what a tampered one breaks', async () => {
  const api = await startTestService();
  try {
    const account = await fundedAccount(api, 'USD', 700n);
    const sound = runVerify(api.database.url);
    assert.equal(sound.status, 0, sound.stdout + sound.stderr);
    assert.match(sound.stdout, /16 passed, 0 failed/);

    await api.database.pool.query('UPDATE accounts SET balance = balance + 1 WHERE id = $1', [account]);
    const tampered = runVerify(api.database.url);
    assert.equal(tampered.status, 1);
    assert.match(tampered.stdout, /FAIL currency_sums_to_zero/);
    assert.match(tampered.stdout, /FAIL balance_equals_entries/);
    assert.ok(tampered.stdout.includes(account));
  } finally {
    await api.close();
  }
});
