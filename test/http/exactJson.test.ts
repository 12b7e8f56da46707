// Proves that a JSON body means exactly what its text says or is refused with 400 naming the field:
// amounts sent as JSON numbers are never rounded, a key given twice anywhere is refused, metadata
// numbers JSON cannot keep are refused, and prototype-poisoning keys are still refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SOURCE_ERRORS_LISTED_MAX } from '../../src/http/exactJson.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { assertInvalidFields, assertProblem } from './helpers.js';

/** Amount texts JSON.parse reads as a whole number although the text says otherwise (or says it oddly). */
const ROUNDED_AMOUNTS = ['1.0000000000000001', '9007199254740991.4', '100e-2', '1.0', '1E0', '5e2', '-0', '0.5e1'];

/** Metadata numbers JSON cannot keep exactly: too large, rounded, or underflowing to zero. */
const INEXACT_NUMBERS = ['1e400', '-1e400', '123456789012345678901234567890', '1.0000000000000001', '1e-400', '9007199254740993'];

describe('exact JSON bodies', () => {
  let api: TestService;
  let account: string;
  let other: string;
  before(async () => {
    api = await startTestService();
    account = await fundedAccount(api, 'USD', 1000n);
    other = await fundedAccount(api, 'USD', 0n);
  });
  after(() => api.close());

  const post = (path: string, text: string) => api.request('POST', path, { body: text, idempotencyKey: newKey() });

  /** Nothing the refused requests named has moved, and no idempotency key was kept for them. */
  async function assertNothingPosted(): Promise<void> {
    const { rows } = await api.database.pool.query(
      `SELECT balance::text AS balance, version::int AS version FROM accounts WHERE id = ANY($1::uuid[]) ORDER BY balance DESC`,
      [[account, other]],
    );
    assert.deepEqual(rows, [{ balance: '1000', version: 1 }, { balance: '0', version: 0 }]);
  }

  const postings = (amountText: string): Array<[string, string]> => [
    ['/v1/transactions/deposit', `{"account_id":"${account}","amount":${amountText}}`],
    ['/v1/transactions/withdraw', `{"account_id":"${account}","amount":${amountText}}`],
    ['/v1/transactions/transfer', `{"source_account_id":"${account}","destination_account_id":"${other}","amount":${amountText}}`],
  ];

  for (const amount of ROUNDED_AMOUNTS) {
    test(`a JSON-number amount written ${amount} is refused naming amount, never rounded`, async () => {
      for (const [path, text] of postings(amount)) assertInvalidFields(await post(path, text), ['amount']);
      await assertNothingPosted();
    });
  }

  test('a JSON-number amount written as plain digits is still taken exactly', async () => {
    const target = await fundedAccount(api, 'DIG', 0n);
    const response = await post('/v1/transactions/deposit', `{"account_id":"${target}","amount":1050}`);
    assert.equal(response.status, 201);
    assert.equal(response.body.amount, '1050');
  });

  test('a duplicated amount is refused, whichever value comes last', async () => {
    for (const amounts of ['"1","amount":"999"', '"999","amount":"1"', '1,"amount":1', '"1","\\u0061mount":"999"']) {
      for (const [path, text] of postings(amounts)) assertInvalidFields(await post(path, text), ['amount']);
    }
    await assertNothingPosted();
  });

  test('a key given twice at any depth is refused, named by its dotted path', async () => {
    const metadata = '{"a":{"b":1,"b":2},"list":[{"k":"x"},{"k":"y","k":"z"}],"ok":{"b":1}}';
    assertInvalidFields(await post('/v1/transactions/deposit', `{"account_id":"${account}","amount":"1","metadata":${metadata}}`), [
      'metadata.a.b',
      'metadata.list.1.k',
    ]);
    assertInvalidFields(await api.request('POST', '/v1/accounts', { body: '{"currency":"USD","currency":"EUR"}' }), ['currency']);
    assertInvalidFields(await api.request('POST', '/v1/accounts', { body: '{"currency":"USD","metadata":{},"metadata":{"x":1}}' }), ['metadata']);
    // Escaped spellings of one key are the same key, as JSON.parse reads them.
    assertInvalidFields(await api.request('POST', '/v1/accounts', { body: '{"currency":"USD","metadata":{"\\u00e9":1,"é":2}}' }), ['metadata.é']);
    await assertNothingPosted();
  });

  test('equal keys in different objects are fine', async () => {
    const response = await api.request('POST', '/v1/accounts', {
      body: '{"currency":"USD","metadata":{"currency":"USD","a":{"currency":1},"b":[{"a":1},{"a":1}]}}',
    });
    assert.equal(response.status, 201);
    assert.deepEqual(response.body.metadata, { currency: 'USD', a: { currency: 1 }, b: [{ a: 1 }, { a: 1 }] });
  });

  for (const number of INEXACT_NUMBERS) {
    test(`a metadata number ${number} that JSON cannot keep is refused naming it`, async () => {
      const metadata = `{"kept":1,"deep":{"n":[0,${number}]}}`;
      assertInvalidFields(await api.request('POST', '/v1/accounts', { body: `{"currency":"USD","metadata":${metadata}}` }), ['metadata.deep.n.1']);
      assertInvalidFields(await post('/v1/transactions/deposit', `{"account_id":"${account}","amount":"1","metadata":${metadata}}`), [
        'metadata.deep.n.1',
      ]);
      await assertNothingPosted();
    });
  }

  test('metadata numbers JSON keeps exactly are stored with their value', async () => {
    const metadata = '{"a":0.1,"b":1e21,"c":1.5E-7,"d":-0,"e":0.10,"f":9007199254740991,"g":-12.5,"h":1000000000000000000000e-3}';
    const response = await api.request('POST', '/v1/accounts', { body: `{"currency":"USD","metadata":${metadata}}` });
    assert.equal(response.status, 201, response.raw);
    assert.deepEqual(response.body.metadata, { a: 0.1, b: 1e21, c: 1.5e-7, d: 0, e: 0.1, f: 9007199254740991, g: -12.5, h: 1e18 });
    const read = await api.request('GET', `/v1/accounts/${response.body.id}`);
    assert.equal(read.raw, response.raw);
  });

  test('every refused field of one body is listed together, up to a bound', async () => {
    const response = await post('/v1/transactions/deposit', `{"account_id":"${account}","amount":1.5,"metadata":{"x":1e400,"y":1,"y":2}}`);
    assertInvalidFields(response, ['amount', 'metadata.x', 'metadata.y']);
    assert.match(response.body.detail, /amount/);
    const many = Array.from({ length: 100 }, (_, index) => `"k${index}":1e400`).join(',');
    const flooded = await api.request('POST', '/v1/accounts', { body: `{"currency":"USD","metadata":{${many}}}` });
    assertProblem(flooded, 400, 'validation_error');
    assert.equal(flooded.body.errors.length, SOURCE_ERRORS_LISTED_MAX);
  });

  test('prototype-poisoning keys are still refused as unreadable bodies', async () => {
    for (const text of [
      '{"currency":"USD","__proto__":{"x":1}}',
      '{"currency":"USD","metadata":{"a":{"__proto__":{"x":1}}}}',
      '{"currency":"USD","metadata":{"constructor":{"prototype":{"x":1}}}}',
      '{"currency":"USD","metadata":{"\\u005f_proto__":{"x":1}}}',
    ]) {
      const response = await api.request('POST', '/v1/accounts', { body: text });
      assertInvalidFields(response, ['(root)']);
    }
  });

  test('a byte order mark and whitespace around tokens do not hide a duplicate', async () => {
    const text = `\ufeff { "account_id" : "${account}" ,\n\t"amount" : "1" , "amount" : "2" }`;
    assertInvalidFields(await post('/v1/transactions/deposit', text), ['amount']);
    await assertNothingPosted();
  });
});
