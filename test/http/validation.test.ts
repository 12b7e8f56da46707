// Proves that every malformed request is rejected before it reaches the ledger: 400
// validation_error naming every bad field, 413 for bodies over 1 MB, 415 for non-JSON bodies.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { assertInvalidFields, assertProblem } from './helpers.js';

const BAD_AMOUNTS: Array<[string, unknown]> = [
  ['leading zero', '01'],
  ['zero string', '0'],
  ['negative string', '-1'],
  ['plus sign', '+1'],
  ['fraction', '1.5'],
  ['exponent', '1e3'],
  ['leading space', ' 1'],
  ['trailing space', '1 '],
  ['empty string', ''],
  ['hex', '0x10'],
  ['10^38', (10n ** 38n).toString()],
  ['zero number', 0],
  ['negative number', -5],
  ['float number', 1.5],
  ['unsafe integer', 2 ** 53],
  ['exponent number beyond safe', 1e20],
  ['null', null],
  ['boolean', true],
  ['array', ['1']],
  ['object', { value: '1' }],
];

const BAD_CURRENCIES: unknown[] = ['usd', 'US', 'ABCDEFGHIJK', 'US D', 'US-D', '', 'ÜSD', 840, null];

describe('validation', () => {
  let api: TestService;
  let account: string;
  let other: string;
  before(async () => {
    api = await startTestService();
    account = await fundedAccount(api, 'USD', 1000n);
    other = await fundedAccount(api, 'USD', 0n);
  });
  after(() => api.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    api.request('POST', path, { body, idempotencyKey: newKey(), headers });

  /** The two accounts the rejected requests named are as funded: no rejection moved money. */
  async function assertUnchanged(): Promise<void> {
    const { rows } = await api.database.pool.query(
      `SELECT balance::text AS balance, version::int AS version FROM accounts WHERE id = ANY($1::uuid[]) ORDER BY balance DESC`,
      [[account, other]],
    );
    assert.deepEqual(rows, [{ balance: '1000', version: 1 }, { balance: '0', version: 0 }]);
  }

  for (const [name, amount] of BAD_AMOUNTS) {
    test(`amount rejected: ${name}`, async () => {
      for (const [path, body] of [
        ['/v1/transactions/deposit', { account_id: account, amount }],
        ['/v1/transactions/withdraw', { account_id: account, amount }],
        ['/v1/transactions/transfer', { source_account_id: account, destination_account_id: other, amount }],
      ] as const) {
        const response = await post(path, body);
        assertInvalidFields(response, ['amount']);
      }
      await assertUnchanged();
    });
  }

  test('the largest safe integer is accepted as a JSON number', async () => {
    const target = await fundedAccount(api, 'SAFE', 0n);
    const response = await post('/v1/transactions/deposit', { account_id: target, amount: Number.MAX_SAFE_INTEGER });
    assert.equal(response.status, 201);
    assert.equal(response.body.amount, String(Number.MAX_SAFE_INTEGER));
  });

  test('a 38-digit amount is accepted as a string', async () => {
    const target = await fundedAccount(api, 'LONG', 0n);
    const response = await post('/v1/transactions/deposit', { account_id: target, amount: '9'.repeat(38) });
    assert.equal(response.status, 201);
  });

  for (const currency of BAD_CURRENCIES) {
    test(`currency rejected: ${JSON.stringify(currency)}`, async () => {
      assertInvalidFields(await api.request('POST', '/v1/accounts', { body: { currency } }), ['currency']);
      assertInvalidFields(await post('/v1/transactions/deposit', { account_id: account, amount: '1', currency }), ['currency']);
    });
  }

  test('missing required fields are each named', async () => {
    assertInvalidFields(await api.request('POST', '/v1/accounts', { body: {} }), ['currency']);
    assertInvalidFields(await post('/v1/transactions/deposit', {}), ['account_id', 'amount']);
    assertInvalidFields(await post('/v1/transactions/withdraw', {}), ['account_id', 'amount']);
    assertInvalidFields(await post('/v1/transactions/transfer', {}), ['source_account_id', 'destination_account_id', 'amount']);
    await assertUnchanged();
  });

  test('every bad field of one request is listed together', async () => {
    const response = await post('/v1/transactions/transfer', {
      source_account_id: 'nope',
      destination_account_id: 42,
      amount: '-1',
      currency: 'usd',
      description: 7,
      metadata: [],
      extra: true,
    });
    assertInvalidFields(response, [
      'source_account_id', 'destination_account_id', 'amount', 'currency', 'description', 'metadata', 'extra',
    ]);
    assert.match(response.body.detail, /amount/);
  });

  test('account ids that are not UUIDs are named', async () => {
    assertInvalidFields(await post('/v1/transactions/deposit', { account_id: 'abc', amount: '1' }), ['account_id']);
    assertInvalidFields(await post('/v1/transactions/deposit', { account_id: 12, amount: '1' }), ['account_id']);
  });

  test('unknown fields are rejected by name', async () => {
    assertInvalidFields(await api.request('POST', '/v1/accounts', { body: { currency: 'USD', balance: '100' } }), ['balance']);
    assertInvalidFields(await post('/v1/transactions/deposit', { account_id: account, amount: '1', fee: '1' }), ['fee']);
    await assertUnchanged();
  });

  test('external_ref must be a non-empty string of at most 255 characters', async () => {
    assertInvalidFields(await api.request('POST', '/v1/accounts', { body: { currency: 'USD', external_ref: '' } }), ['external_ref']);
    assertInvalidFields(await api.request('POST', '/v1/accounts', { body: { currency: 'USD', external_ref: 'r'.repeat(256) } }), ['external_ref']);
    assertInvalidFields(await api.request('POST', '/v1/accounts', { body: { currency: 'USD', external_ref: 5 } }), ['external_ref']);
    const longest = await api.request('POST', '/v1/accounts', { body: { currency: 'USD', external_ref: 'r'.repeat(255) } });
    assert.equal(longest.status, 201);
  });

  test('description must be a string of at most 1000 characters', async () => {
    assertInvalidFields(await post('/v1/transactions/deposit', { account_id: account, amount: '1', description: 'd'.repeat(1001) }), ['description']);
    assertInvalidFields(await post('/v1/transactions/deposit', { account_id: account, amount: '1', description: null }), ['description']);
  });

  test('metadata must be an object', async () => {
    for (const metadata of [[], 'text', 5, null]) {
      assertInvalidFields(await api.request('POST', '/v1/accounts', { body: { currency: 'USD', metadata } }), ['metadata']);
    }
  });

  test('metadata over 4 KB serialized is rejected; exactly 4096 bytes is accepted', async () => {
    // {"k":"…"} is 8 bytes around the value.
    const fits = { k: 'x'.repeat(4096 - 8) };
    assert.equal(Buffer.byteLength(JSON.stringify(fits)), 4096);
    const accepted = await api.request('POST', '/v1/accounts', { body: { currency: 'USD', metadata: fits } });
    assert.equal(accepted.status, 201);
    const tooBig = { k: 'x'.repeat(4096 - 7) };
    assertInvalidFields(await api.request('POST', '/v1/accounts', { body: { currency: 'USD', metadata: tooBig } }), ['metadata']);
    assertInvalidFields(await post('/v1/transactions/deposit', { account_id: account, amount: '1', metadata: tooBig }), ['metadata']);
    // Multi-byte characters count in bytes, not characters.
    const multiByte = { k: '\u00e9'.repeat(2100) };
    assertInvalidFields(await api.request('POST', '/v1/accounts', { body: { currency: 'USD', metadata: multiByte } }), ['metadata']);
    await assertUnchanged();
  });

  test('text PostgreSQL cannot store unchanged (NUL, unpaired surrogates) is named, never a 500', async () => {
    // JSON escapes let a client send both; the database would refuse NUL and mangle a lone surrogate.
    const nul = '{"currency":"USD","external_ref":"a\\u0000b","metadata":{"k\\u0000":"v","deep":{"x":"\\ud800"}}}';
    assertInvalidFields(await api.request('POST', '/v1/accounts', { body: nul }), ['external_ref', 'metadata.k\u0000', 'metadata.deep.x']);
    const deposit = `{"account_id":"${account}","amount":"1","description":"\\udc00 lone"}`;
    assertInvalidFields(await post('/v1/transactions/deposit', deposit), ['description']);
    // A well-formed pair (an emoji) is fine.
    const emoji = await api.request('POST', '/v1/accounts', { body: { currency: 'USD', metadata: { note: '\u{1F600}' } } });
    assert.equal(emoji.status, 201);
    assert.equal(emoji.body.metadata.note, '\u{1F600}');
    await assertUnchanged();
  });

  test('a body that is not JSON is 400 validation_error', async () => {
    for (const raw of ['{"currency":', 'not json', '']) {
      const response = await api.request('POST', '/v1/accounts', { body: raw, headers: { 'content-type': 'application/json' } });
      assertProblem(response, 400, 'validation_error');
      assert.equal(response.body.errors[0].in, 'body');
    }
  });

  test('a JSON body that is not an object is 400', async () => {
    for (const raw of ['[]', '"USD"', '42', 'null']) {
      const response = await api.request('POST', '/v1/accounts', { body: raw });
      assertProblem(response, 400, 'validation_error');
    }
  });

  test('a body that is not application/json is 415 unsupported_media_type', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
      const response = await api.request('POST', '/v1/accounts', { body: '{"currency":"USD"}', headers: { 'content-type': contentType } });
      assertProblem(response, 415, 'unsupported_media_type');
    }
    const deposit = await post('/v1/transactions/deposit', `{"account_id":"${account}","amount":"1"}`, { 'content-type': 'text/plain' });
    assertProblem(deposit, 415, 'unsupported_media_type');
    await assertUnchanged();
  });

  test('application/json with a charset is accepted', async () => {
    const response = await api.request('POST', '/v1/accounts', {
      body: '{"currency":"USD"}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assert.equal(response.status, 201);
  });

  test('a body over 1 MB is 413 payload_too_large', async () => {
    const huge = JSON.stringify({ currency: 'USD', metadata: { k: 'x'.repeat(1024 * 1024) } });
    const response = await api.request('POST', '/v1/accounts', { body: huge });
    assertProblem(response, 413, 'payload_too_large');
    const deposit = await post('/v1/transactions/deposit', { account_id: account, amount: '1', description: 'x'.repeat(1024 * 1024) });
    assertProblem(deposit, 413, 'payload_too_large');
    await assertUnchanged();
  });

  test('a path id that is not a UUID is 400 naming id', async () => {
    for (const path of ['/v1/accounts/not-a-uuid', '/v1/accounts/123/entries', '/v1/transactions/zzz']) {
      assertInvalidFields(await api.request('GET', path), ['id'], 'path');
    }
  });
});
