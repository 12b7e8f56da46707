// Proves POST /v1/accounts and GET /v1/accounts/{id}: the exact account shape, external_ref
// uniqueness, optional idempotency, and readable settlement accounts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { settlementAccountId } from '../../src/ids.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { assertProblem, JSON_CONTENT_TYPE, UNKNOWN_ID } from './helpers.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('accounts', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  test('POST /v1/accounts opens an account with zero balance and version 0', async () => {
    const response = await api.request('POST', '/v1/accounts', {
      body: { currency: 'USD', external_ref: 'customer-1', metadata: { tier: 'gold', nested: { a: 1 } } },
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers['content-type'], JSON_CONTENT_TYPE);
    const account = response.body;
    assert.match(account.id, UUID_V7);
    assert.deepEqual(Object.keys(account).sort(), [
      'available_balance', 'balance', 'created_at', 'currency', 'external_ref', 'id', 'kind', 'metadata', 'overdraft_limit',
      'pending_credits', 'pending_debits', 'status', 'updated_at', 'version',
    ]);
    assert.equal(account.kind, 'user');
    assert.equal(account.currency, 'USD');
    assert.equal(account.balance, '0');
    assert.equal(account.available_balance, '0');
    assert.equal(account.status, 'active');
    assert.equal(account.external_ref, 'customer-1');
    assert.deepEqual(account.metadata, { tier: 'gold', nested: { a: 1 } });
    assert.equal(account.version, 0);
    assert.equal(account.created_at, account.updated_at);
    assert.equal(new Date(account.created_at).toISOString(), account.created_at);

    const read = await api.request('GET', `/v1/accounts/${account.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.headers['content-type'], JSON_CONTENT_TYPE);
    assert.deepEqual(read.body, account);
  });

  test('external_ref and metadata are optional: null and {}', async () => {
    const response = await api.request('POST', '/v1/accounts', { body: { currency: 'USDC' } });
    assert.equal(response.status, 201);
    assert.equal(response.body.external_ref, null);
    assert.deepEqual(response.body.metadata, {});
    assert.equal(response.body.currency, 'USDC');
  });

  test('currencies of 3 to 10 upper-case letters or digits are accepted', async () => {
    for (const currency of ['BTC', 'EUR', 'ABCDEFGHIJ', 'X1Y2Z3']) {
      const response = await api.request('POST', '/v1/accounts', { body: { currency } });
      assert.equal(response.status, 201, currency);
      assert.equal(response.body.currency, currency);
    }
  });

  test('a second account with the same external_ref is 409 external_ref_taken, and nothing is created', async () => {
    const first = await api.request('POST', '/v1/accounts', { body: { currency: 'USD', external_ref: 'dup-ref' } });
    assert.equal(first.status, 201);
    const second = await api.request('POST', '/v1/accounts', { body: { currency: 'EUR', external_ref: 'dup-ref' } });
    assertProblem(second, 409, 'external_ref_taken');
    assert.equal(second.body.external_ref, 'dup-ref');
    const { rows } = await api.database.pool.query(`SELECT count(*)::int AS n FROM accounts WHERE external_ref = 'dup-ref'`);
    assert.equal(rows[0].n, 1);
  });

  test('Idempotency-Key is honoured on account creation: the replay returns the same account', async () => {
    const key = newKey();
    const first = await api.request('POST', '/v1/accounts', { body: { currency: 'GBP' }, idempotencyKey: key });
    assert.equal(first.status, 201);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const second = await api.request('POST', '/v1/accounts', { body: { currency: 'GBP' }, idempotencyKey: key });
    assert.equal(second.status, 201);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.raw, first.raw);
    const { rows } = await api.database.pool.query(`SELECT count(*)::int AS n FROM accounts WHERE currency = 'GBP'`);
    assert.equal(rows[0].n, 1);
  });

  test('without Idempotency-Key two identical requests open two accounts', async () => {
    const first = await api.request('POST', '/v1/accounts', { body: { currency: 'CHF' } });
    const second = await api.request('POST', '/v1/accounts', { body: { currency: 'CHF' } });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.notEqual(first.body.id, second.body.id);
  });

  test('GET of an unknown account is 404 account_not_found', async () => {
    const response = await api.request('GET', `/v1/accounts/${UNKNOWN_ID}`);
    assertProblem(response, 404, 'account_not_found');
  });

  test('version follows the last entry and balances follow the money', async () => {
    const id = await fundedAccount(api, 'JPY', 700n);
    const withdraw = await api.request('POST', '/v1/transactions/withdraw', {
      body: { account_id: id, amount: '200' },
      idempotencyKey: newKey(),
    });
    assert.equal(withdraw.status, 201);
    const read = await api.request('GET', `/v1/accounts/${id}`);
    assert.equal(read.body.balance, '500');
    assert.equal(read.body.available_balance, '500');
    assert.equal(read.body.version, 2);
    assert.ok(read.body.updated_at >= read.body.created_at);
  });

  test('the settlement account of a currency is readable and mirrors its wallets', async () => {
    await fundedAccount(api, 'SEK', 1234n);
    const response = await api.request('GET', `/v1/accounts/${settlementAccountId('SEK')}`);
    assert.equal(response.status, 200);
    assert.equal(response.body.kind, 'settlement');
    assert.equal(response.body.currency, 'SEK');
    assert.equal(response.body.balance, '-1234');
    assert.equal(response.body.version, 1);
    assert.equal(response.body.external_ref, null);
  });

  test('account creation writes one account.created outbox row', async () => {
    const response = await api.request('POST', '/v1/accounts', { body: { currency: 'NOK' } });
    const { rows } = await api.database.pool.query(
      `SELECT event_type, routing_key FROM outbox WHERE payload->>'subject' = $1`,
      [response.body.id],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0].event_type, 'account.created');
    assert.equal(rows[0].routing_key, 'ledger.account.created');
  });
});
