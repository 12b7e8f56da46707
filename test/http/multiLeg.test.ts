// Proves POST /v1/transactions: several legs in one or several currencies post as one ledger
// transaction with a debit and a credit per leg, balances are checked once all legs are applied,
// one refused leg refuses the whole naming it (legs[i]) and applies nothing, settlement accounts
// may be named by id or as settlement:<CURRENCY>, and the answer, its replay, GET and the
// multi_leg.posted event agree.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { settlementAccountId } from '../../src/ids.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { fundedAccount, newKey, startTestService, TEST_API_KEY, type TestService } from '../support/service.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { assertInvalidFields, assertProblem, UNKNOWN_ID } from './helpers.js';

describe('multi-leg transactions', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  const post = (body: Record<string, unknown>, key = newKey()) => api.request('POST', '/v1/transactions', { body, idempotencyKey: key });
  const balanceOf = async (id: string) => (await api.request('GET', `/v1/accounts/${id}`)).body.balance as string;
  const leg = (source: string, destination: string, amount: string | number, currency?: string) => ({
    source_account_id: source, destination_account_id: destination, amount, ...(currency ? { currency } : {}),
  });
  const transactionCount = async () => Number((await api.database.pool.query('SELECT count(*) FROM ledger_transactions')).rows[0].count);

  test('legs in two currencies post as one transaction, answered, replayed, read and published alike', async () => {
    const payer = await fundedAccount(api, 'USD', 1000n);
    const merchant = await fundedAccount(api, 'USD', 0n);
    const fee = await fundedAccount(api, 'USD', 0n);
    const euroPayer = await fundedAccount(api, 'EUR', 500n);
    const euroPayee = await fundedAccount(api, 'EUR', 0n);
    const key = newKey();
    const body = {
      legs: [leg(payer, merchant, '700', 'USD'), leg(payer, fee, 30), leg(euroPayer, euroPayee, '250', 'EUR')],
      description: 'order 42',
      metadata: { order: 42 },
    };
    const response = await post(body, key);
    assert.equal(response.status, 201, response.raw);
    const transaction = response.body;
    assert.equal(transaction.type, 'multi_leg');
    assert.equal(transaction.status, 'posted');
    assert.deepEqual(Object.keys(transaction), ['id', 'type', 'status', 'description', 'metadata', 'created_at', 'legs', 'entries']);
    assert.deepEqual(transaction.legs, [
      { source_account_id: payer, destination_account_id: merchant, amount: '700', currency: 'USD' },
      { source_account_id: payer, destination_account_id: fee, amount: '30', currency: 'USD' },
      { source_account_id: euroPayer, destination_account_id: euroPayee, amount: '250', currency: 'EUR' },
    ]);
    assert.deepEqual(
      transaction.entries.map((entry: Record<string, unknown>) => [entry.account_id, entry.direction, entry.amount, entry.balance_after, entry.sequence]),
      [
        [payer, 'debit', '700', '300', 2], [merchant, 'credit', '700', '700', 1],
        [payer, 'debit', '30', '270', 3], [fee, 'credit', '30', '30', 1],
        [euroPayer, 'debit', '250', '250', 2], [euroPayee, 'credit', '250', '250', 1],
      ],
    );
    assert.deepEqual([await balanceOf(payer), await balanceOf(merchant), await balanceOf(fee)], ['270', '700', '30']);
    assert.deepEqual([await balanceOf(euroPayer), await balanceOf(euroPayee)], ['250', '250']);

    const replay = await post(body, key);
    assert.equal(replay.status, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.raw, response.raw, 'a replay repeats the answer byte for byte');
    const read = await api.request('GET', `/v1/transactions/${transaction.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.raw, response.raw, 'a read renders the rows as the answer did');
    const events = await renderedEvents(api.database.pool, [transaction.id]);
    assert.deepEqual(events.map((event) => [event.eventType, event.routingKey]), [['multi_leg.posted', 'ledger.multi_leg.posted']]);
    assert.deepEqual(events[0]!.envelope.data, transaction, 'the event carries the transaction as the API returned it');
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
  });

  test('balances are checked after all legs: a wallet funded by one leg pays in the next (or the one before)', async () => {
    const funder = await fundedAccount(api, 'USD', 100n);
    const middle = await fundedAccount(api, 'USD', 0n);
    const payee = await fundedAccount(api, 'USD', 0n);
    const forward = await post({ legs: [leg(funder, middle, 60), leg(middle, payee, 60)] });
    assert.equal(forward.status, 201, forward.raw);
    const backward = await post({ legs: [leg(middle, payee, 40), leg(funder, middle, 40)] });
    assert.equal(backward.status, 201, backward.raw);
    assert.deepEqual([await balanceOf(funder), await balanceOf(middle), await balanceOf(payee)], ['0', '0', '100']);
  });

  test('a leg refused for want of funds refuses the whole, naming the leg, and applies nothing', async () => {
    const payer = await fundedAccount(api, 'USD', 100n);
    const payee = await fundedAccount(api, 'USD', 0n);
    const before = await transactionCount();
    const response = await post({ legs: [leg(payer, payee, 60), leg(payer, payee, 41)] });
    assertProblem(response, 422, 'insufficient_funds');
    assert.equal(response.body.leg, 1);
    assert.match(response.body.detail, /^legs\[1\]: /);
    assert.equal(response.body.available_balance, '100');
    assert.equal(response.body.amount, '101');
    assert.deepEqual([await balanceOf(payer), await balanceOf(payee)], ['100', '0']);
    assert.equal(await transactionCount(), before);
  });

  test('a leg debiting a frozen wallet, or naming a closed one, refuses the whole, naming the leg', async () => {
    const payer = await fundedAccount(api, 'USD', 100n);
    const frozen = await fundedAccount(api, 'USD', 50n);
    const closed = await fundedAccount(api, 'USD', 0n);
    const patch = (id: string, status: string) => api.request('PATCH', `/v1/accounts/${id}`, { body: { status }, headers: { 'if-match': '*' } });
    assert.equal((await patch(frozen, 'frozen')).status, 200);
    assert.equal((await patch(closed, 'closed')).status, 200);
    const before = await transactionCount();
    const debitsFrozen = await post({ legs: [leg(payer, frozen, 10), leg(frozen, payer, 5)] });
    assertProblem(debitsFrozen, 422, 'account_frozen');
    assert.equal(debitsFrozen.body.leg, 1);
    const creditsClosed = await post({ legs: [leg(payer, frozen, 10), leg(payer, closed, 5)] });
    assertProblem(creditsClosed, 422, 'account_closed');
    assert.equal(creditsClosed.body.leg, 1);
    assert.deepEqual([await balanceOf(payer), await balanceOf(frozen), await balanceOf(closed)], ['100', '50', '0']);
    assert.equal(await transactionCount(), before);
    // A frozen wallet still takes credits.
    assert.equal((await post({ legs: [leg(payer, frozen, 10)] })).status, 201);
  });

  test("an account's transaction list includes its multi-leg transactions, once each, however many legs name it", async () => {
    const payer = await fundedAccount(api, 'USD', 100n);
    const merchant = await fundedAccount(api, 'USD', 0n);
    const fee = await fundedAccount(api, 'USD', 0n);
    const posted = await post({ legs: [leg(payer, merchant, 60), leg(merchant, fee, 5)] });
    assert.equal(posted.status, 201, posted.raw);
    const listed = async (query: string) =>
      (await api.request('GET', `/v1/transactions?${query}`)).body.data.map((transaction: { id: string }) => transaction.id);
    for (const account of [payer, merchant, fee]) {
      assert.equal((await listed(`account_id=${account}`)).filter((id: string) => id === posted.body.id).length, 1, account);
    }
    assert.ok((await listed(`account_id=${merchant}&type=multi_leg`)).includes(posted.body.id));
    assert.ok(!(await listed(`account_id=${merchant}&type=transfer`)).includes(posted.body.id));
  });

  test('each leg-level refusal names its leg and the field, and applies nothing', async () => {
    const usd = await fundedAccount(api, 'USD', 100n);
    const usd2 = await fundedAccount(api, 'USD', 0n);
    const eur = await fundedAccount(api, 'EUR', 100n);
    const good = leg(usd, usd2, 10);
    const before = await transactionCount();
    const unknown = await post({ legs: [good, good, leg(usd, UNKNOWN_ID, 1)] });
    assertProblem(unknown, 404, 'account_not_found');
    assert.equal(unknown.body.field, 'legs[2].destination_account_id');
    assert.equal(unknown.body.leg, 2);
    assertProblem(await post({ legs: [good, leg(usd2, usd2, 1)] }), 422, 'same_account');
    const mixed = await post({ legs: [good, leg(usd, eur, 1)] });
    assertProblem(mixed, 422, 'currency_mismatch');
    assert.equal(mixed.body.leg, 1);
    const named = await post({ legs: [leg(usd, usd2, 1, 'EUR')] });
    assertProblem(named, 422, 'currency_mismatch');
    assert.equal(named.body.leg, 0);
    assert.deepEqual([await balanceOf(usd), await balanceOf(usd2), await balanceOf(eur)], ['100', '0', '100']);
    assert.equal(await transactionCount(), before);
  });

  test('a settlement account may be a side, named settlement:<CURRENCY> or by id, even before its first deposit', async () => {
    const wallet = await fundedAccount(api, 'NOK', 0n);
    const funded = await post({ legs: [leg('settlement:NOK', wallet, 500)] });
    assert.equal(funded.status, 201, funded.raw);
    assert.equal(funded.body.legs[0].source_account_id, settlementAccountId('NOK'));
    const paid = await post({ legs: [leg(wallet, settlementAccountId('NOK'), 200, 'NOK')] });
    assert.equal(paid.status, 201, paid.raw);
    assert.deepEqual([await balanceOf(wallet), await balanceOf(settlementAccountId('NOK'))], ['300', '-300']);
  });

  test('a multi-leg transaction is not reversible', async () => {
    const payer = await fundedAccount(api, 'USD', 10n);
    const payee = await fundedAccount(api, 'USD', 0n);
    const posted = await post({ legs: [leg(payer, payee, 5)] });
    const reversal = await api.request('POST', `/v1/transactions/${posted.body.id}/reverse`, { body: {}, idempotencyKey: newKey() });
    assertProblem(reversal, 422, 'not_reversible');
    assert.equal(await balanceOf(payee), '5');
  });

  test('a key reused with other legs is 422 idempotency_key_reused; 1 and "1" are one request', async () => {
    const payer = await fundedAccount(api, 'USD', 10n);
    const payee = await fundedAccount(api, 'USD', 0n);
    const key = newKey();
    assert.equal((await post({ legs: [leg(payer, payee, 1)] }, key)).status, 201);
    assert.equal((await post({ legs: [leg(payer, payee, '1')] }, key)).headers['idempotent-replayed'], 'true');
    assertProblem(await post({ legs: [leg(payer, payee, 2)] }, key), 422, 'idempotency_key_reused');
    assert.equal(await balanceOf(payee), '1');
  });

  test('bad legs are validation errors naming the field; a missing key is idempotency_key_missing', async () => {
    const payer = await fundedAccount(api, 'USD', 10n);
    assertInvalidFields(await post({ legs: [] }), ['legs']);
    assertInvalidFields(await post({ legs: Array.from({ length: 101 }, () => leg(payer, UNKNOWN_ID, 1)) }), ['legs']);
    assertInvalidFields(await post({ legs: [leg('settlement:usd', payer, 1)] }), ['legs.0.source_account_id']);
    assertInvalidFields(await post({ legs: [leg(payer, UNKNOWN_ID, '0')] }), ['legs.0.amount']);
    assertInvalidFields(await post({ legs: [{ ...leg(payer, UNKNOWN_ID, 1), extra: 1 }] }), ['legs.0.extra']);
    assertProblem(await api.request('POST', '/v1/transactions', { body: { legs: [leg(payer, UNKNOWN_ID, 1)] } }), 400, 'idempotency_key_missing');
    // A leg's amount written 1.0 or 1e0 is refused from the source text, as a top-level amount is (JSON.parse reads 1).
    for (const written of ['1.0', '1e0']) {
      const response = await api.service.app.inject({
        method: 'POST',
        url: '/v1/transactions',
        headers: { 'x-service-api-key': TEST_API_KEY, 'idempotency-key': newKey(), 'content-type': 'application/json' },
        payload: `{"legs":[{"source_account_id":"${payer}","destination_account_id":"${UNKNOWN_ID}","amount":${written}}]}`,
      });
      assert.equal(response.statusCode, 400, response.body);
      assert.deepEqual(JSON.parse(response.body).errors.map((error: { field: string }) => error.field), ['legs.0.amount']);
    }
  });
});
