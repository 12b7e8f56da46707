// Proves that concurrent writes stay correct: one Idempotency-Key sent 50 times at once (to one
// process and to two processes sharing a database) has exactly one effect, and 200 concurrent
// transfers over a few accounts lose no update, never overdraw, and keep every ledger invariant.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { createService, type Service } from '../../src/service.js';
import { fundedAccount, newKey, startTestService, TEST_API_KEY, type ApiResponse, type TestService } from '../support/service.js';

const SAME_KEY_REQUESTS = 50;
const TRANSFERS = 200;
const ACCOUNTS = 5;
const FUNDS = 1_000n;

/** Exactly one original answer; every other answer is its byte-identical replay, or a 409. */
function assertOneEffect(responses: ApiResponse[]): ApiResponse {
  const originals = responses.filter((response) => response.status === 201 && response.headers['idempotent-replayed'] === undefined);
  assert.equal(originals.length, 1, `statuses: ${responses.map((response) => response.status).join(',')}`);
  const original = originals[0]!;
  for (const response of responses) {
    if (response === original) continue;
    if (response.status === 409) {
      assert.equal(response.body.code, 'idempotency_key_in_progress');
      continue;
    }
    assert.equal(response.status, 201);
    assert.equal(response.headers['idempotent-replayed'], 'true');
    assert.equal(response.raw, original.raw);
  }
  return original;
}

/** Every ledger invariant, read straight from the database. */
async function assertLedgerConsistent(api: TestService): Promise<void> {
  const pool = api.database.pool;
  const negative = await pool.query(`SELECT id FROM accounts WHERE kind = 'user' AND balance < 0`);
  assert.deepEqual(negative.rows, []);
  const mismatched = await pool.query(`
    SELECT a.id, a.balance::text, a.version, sums.total::text, sums.entries, sums.max_sequence, last.balance_after::text
    FROM accounts a
    LEFT JOIN LATERAL (
      SELECT coalesce(sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END), 0) AS total,
             count(*) AS entries, coalesce(max(sequence), 0) AS max_sequence
      FROM ledger_entries WHERE account_id = a.id) sums ON true
    LEFT JOIN LATERAL (
      SELECT balance_after FROM ledger_entries WHERE account_id = a.id ORDER BY sequence DESC LIMIT 1) last ON true
    WHERE a.balance <> sums.total
       OR a.version <> sums.entries
       OR a.version <> sums.max_sequence
       OR a.balance <> coalesce(last.balance_after, 0)`);
  assert.deepEqual(mismatched.rows, [], 'balance = sum of entries = last balance_after; sequences 1..version');
  const perCurrency = await pool.query(`SELECT currency, sum(balance)::text AS total FROM accounts GROUP BY currency HAVING sum(balance) <> 0`);
  assert.deepEqual(perCurrency.rows, [], 'every currency sums to zero');
  const unbalanced = await pool.query(`
    SELECT transaction_id FROM ledger_entries GROUP BY transaction_id
    HAVING sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END) <> 0 OR count(*) <> 2`);
  assert.deepEqual(unbalanced.rows, []);
}

describe('concurrency', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService({ PARTITIONS: '4' });
  });
  after(() => api.close());

  test(`${SAME_KEY_REQUESTS} concurrent deposits with one key have exactly one effect`, async () => {
    const account = await fundedAccount(api, 'USD', 0n);
    const key = newKey();
    const responses = await Promise.all(
      Array.from({ length: SAME_KEY_REQUESTS }, () =>
        api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '25' }, idempotencyKey: key }),
      ),
    );
    const original = assertOneEffect(responses);
    const { rows } = await api.database.pool.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE destination_account_id = $1`, [account]);
    assert.equal(rows[0].n, 1);
    const read = await api.request('GET', `/v1/accounts/${account}`);
    assert.equal(read.body.balance, '25');
    assert.equal((await api.request('GET', `/v1/transactions/${original.body.id}`)).raw, original.raw);
  });

  test(`${SAME_KEY_REQUESTS} concurrent account openings with one key open one account`, async () => {
    const key = newKey();
    const responses = await Promise.all(
      Array.from({ length: SAME_KEY_REQUESTS }, () =>
        api.request('POST', '/v1/accounts', { body: { currency: 'ONE', external_ref: 'concurrent-ref' }, idempotencyKey: key }),
      ),
    );
    assertOneEffect(responses);
    const { rows } = await api.database.pool.query(`SELECT count(*)::int AS n FROM accounts WHERE currency = 'ONE'`);
    assert.equal(rows[0].n, 1);
  });

  test('one key sent at once to two processes sharing a database has exactly one effect', async () => {
    const second: Service = await createService(api.config, api.database.url, pino({ level: 'silent' }));
    try {
      const account = await fundedAccount(api, 'TWO', 0n);
      const key = newKey();
      const send = (service: Service) =>
        service.app
          .inject({
            method: 'POST',
            url: '/v1/transactions/deposit',
            headers: { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json', 'idempotency-key': key },
            payload: JSON.stringify({ account_id: account, amount: '7' }),
          })
          .then((response): ApiResponse => ({ status: response.statusCode, headers: response.headers, body: JSON.parse(response.body), raw: response.body }));
      const responses = await Promise.all(
        Array.from({ length: SAME_KEY_REQUESTS }, (_, index) => send(index % 2 === 0 ? api.service : second)),
      );
      assertOneEffect(responses);
      assert.equal((await api.request('GET', `/v1/accounts/${account}`)).body.balance, '7');
    } finally {
      await second.close();
    }
  });

  test(`${TRANSFERS} concurrent transfers over ${ACCOUNTS} accounts lose no update and keep every invariant`, async () => {
    const accounts: string[] = [];
    for (let index = 0; index < ACCOUNTS; index++) accounts.push(await fundedAccount(api, 'EUR', FUNDS));
    // A poor account races five transfers of 4 against a balance of 10: exactly two can post.
    const poor = await fundedAccount(api, 'EUR', 10n);
    // A fixed pseudo-random sequence of sources, destinations and amounts (1..100).
    let seed = 12345;
    const next = (modulo: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % modulo;
    };
    const planned = Array.from({ length: TRANSFERS }, () => {
      const source = next(ACCOUNTS);
      const destination = (source + 1 + next(ACCOUNTS - 1)) % ACCOUNTS;
      return { source: accounts[source]!, destination: accounts[destination]!, amount: BigInt(1 + next(100)) };
    });
    for (let index = 0; index < 5; index++) planned.push({ source: poor, destination: accounts[0]!, amount: 4n });
    // A few deposits and withdrawals in the mix move the settlement account concurrently too.
    const sideWrites = accounts.flatMap((id) => [
      api.request('POST', '/v1/transactions/deposit', { body: { account_id: id, amount: '50' }, idempotencyKey: newKey() }),
      api.request('POST', '/v1/transactions/withdraw', { body: { account_id: id, amount: '30' }, idempotencyKey: newKey() }),
    ]);
    const responses = await Promise.all([
      ...planned.map((transfer) =>
        api.request('POST', '/v1/transactions/transfer', {
          body: { source_account_id: transfer.source, destination_account_id: transfer.destination, amount: transfer.amount.toString() },
          idempotencyKey: newKey(),
        }),
      ),
      ...sideWrites,
    ]);

    // The model: start from the funding, apply exactly what the API says it applied.
    const expected = new Map([...accounts.map((id): [string, bigint] => [id, FUNDS]), [poor, 10n]]);
    let poorRefused = 0;
    let posted = 0;
    let refused = 0;
    for (const response of responses) {
      if (response.status === 422) {
        assert.equal(response.body.code, 'insufficient_funds');
        if (response.body.account_id === poor) {
          poorRefused += 1;
          assert.equal(response.body.available_balance, '2');
        }
        refused += 1;
        continue;
      }
      assert.equal(response.status, 201, response.raw);
      const amount = BigInt(response.body.amount);
      const { source_account_id: source, destination_account_id: destination } = response.body;
      if (expected.has(source)) expected.set(source, expected.get(source)! - amount);
      if (expected.has(destination)) expected.set(destination, expected.get(destination)! + amount);
      posted += 1;
    }
    assert.equal(posted + refused, planned.length + sideWrites.length);
    assert.ok(posted > TRANSFERS / 2, `only ${posted} posted`);
    assert.equal(poorRefused, 3);
    assert.equal(expected.get(poor), 2n);
    for (const id of [...accounts, poor]) {
      const account = await api.request('GET', `/v1/accounts/${id}`);
      assert.equal(account.body.balance, expected.get(id)!.toString(), id);
    }
    await assertLedgerConsistent(api);
  });
});
