// Proves a repeat of a request that is still executing waits for it and replays its answer, and
// answers 409 idempotency_key_in_progress (storing nothing) when the first takes too long.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IN_FLIGHT_WAIT_MAX_MS } from '../../src/http/idempotency.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';

let api: TestService;
let account: string;
before(async () => {
  api = await startTestService();
  account = await fundedAccount(api, 'USD', 100n);
});
after(() => api.close());

test('a repeat during a slow first request gets 409, then the replay once the first is done', async () => {
  // Hold the account's row lock from outside: the first deposit waits for it inside its batch.
  const blocker = await api.database.pool.connect();
  await blocker.query('BEGIN');
  await blocker.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [account]);
  const key = newKey();
  const body = { account_id: account, amount: '5' };
  const first = api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = Date.now();
  const repeat = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
  assert.equal(repeat.status, 409);
  assert.equal(repeat.body.code, 'idempotency_key_in_progress');
  assert.ok(Date.now() - started >= IN_FLIGHT_WAIT_MAX_MS - 50);

  await blocker.query('COMMIT');
  blocker.release();
  const original = await first;
  assert.equal(original.status, 201);
  const replay = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
  assert.equal(replay.status, 201);
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  assert.equal(replay.raw, original.raw);
  const balance = await api.database.pool.query('SELECT balance::text FROM accounts WHERE id = $1', [account]);
  assert.equal(balance.rows[0].balance, '105');
});
