// Proves that every generated bad PATCH /v1/accounts/{id} (one field of a valid body replaced by a
// bad value, an unknown field added, a body that is no object, a bad id in the path, or a malformed
// If-Match) is a 400 validation_error in application/problem+json naming exactly that field, never
// a 5xx; and that none of them changed the account (its ETag is what it was) or wrote history.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { fundedAccount, startTestService, TEST_API_KEY, type TestService } from '../support/service.js';
import { PROBLEM_CONTENT_TYPE } from '../http/helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const LIMIT = /^(0|[1-9][0-9]{0,37})$/;

const notObject = fc.constantFrom('null', 'true', 'false', '0', '1', '-1', '1.5', '[]', '["x"]', '"x"');
const nastyString = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', ' ', 'null', 'a\u0000b', '\ud800', '😀', 'ACTIVE', 'Frozen', 'deleted', 'open'));

const badStatus = fc.oneof(
  fc.constantFrom('null', 'true', '0', '[]', '{}', '["active"]'),
  nastyString.filter((text) => !['active', 'frozen', 'closed'].includes(text)).map((text) => JSON.stringify(text)),
);

/** Limits the API must refuse: negative, fractions, exponents, leading zeros, out of range, numbers (a string only), other types. */
const badLimit = fc
  .oneof(
    fc.constantFrom('-1', '-0', '0', '10', '1.0', '1.5', '1e3', '9007199254740992', '"-1"', '"01"', '"00"', '"+1"', '" 1"', '"1e3"', '"1.0"', '""', 'null', 'true', '[]', '{}'),
    fc.bigInt({ min: -(10n ** 40n), max: -1n }).map((value) => value.toString()),
    fc.bigInt({ min: 10n ** 38n, max: 10n ** 40n }).map((value) => JSON.stringify(value.toString())),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Number.isInteger(value)).map(String),
  )
  .filter((token) => {
    const value: unknown = JSON.parse(token);
    return typeof value !== 'string' || !LIMIT.test(value);
  });

const badMetadata = fc.oneof(
  notObject,
  fc.constantFrom(`{"big":"${'x'.repeat(5000)}"}`, `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`, '{"a":"\\u0000"}', '{"a":"\\ud800"}'),
);

interface BadPatch {
  field: string;
  location: 'body' | 'path' | 'header';
  body: string;
  id?: string;
  ifMatch?: string;
}

const VALID = { status: 'frozen', overdraft_limit: '10', metadata: { a: 1 } };

function withField(field: keyof typeof VALID | string, token: string): string {
  const entries = Object.entries(VALID).filter(([key]) => key !== field).map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
  return `{${[...entries, `${JSON.stringify(field)}:${token}`].join(',')}}`;
}

const badPatch: fc.Arbitrary<BadPatch> = fc.oneof(
  badStatus.map((token) => ({ field: 'status', location: 'body' as const, body: withField('status', token) })),
  badLimit.map((token) => ({ field: 'overdraft_limit', location: 'body' as const, body: withField('overdraft_limit', token) })),
  badMetadata.map((token) => ({ field: 'metadata', location: 'body' as const, body: withField('metadata', token) })),
  fc.constantFrom('balance', 'version', 'kind', 'currency', 'id', 'extra').map((field) => ({ field, location: 'body' as const, body: withField(field, '"1"') })),
  nastyString.filter((text) => !UUID.test(text) && text.trim() !== '' && !/[/?#%\\]/.test(text) && /^[\x21-\x7E]+$/.test(text))
    .map((id) => ({ field: 'id', location: 'path' as const, body: JSON.stringify(VALID), id: encodeURIComponent(id) })),
  fc.constantFrom('unquoted', '"a" "b"', '"a",,W', 'W/', '"', '*, "a"', '"a"b"', Array.from({ length: 17 }, (_, index) => `"${index}"`).join(','))
    .map((ifMatch) => ({ field: 'If-Match', location: 'header' as const, body: JSON.stringify(VALID), ifMatch })),
);

describe('bad PATCH /v1/accounts/{id} input', () => {
  let api: TestService;
  let account: string;
  let etag: string;
  before(async () => {
    api = await startTestService();
    account = await fundedAccount(api, 'USD', 100n);
    etag = String((await api.request('GET', `/v1/accounts/${account}`)).headers.etag);
  });
  after(() => api.close());

  test('every bad PATCH is a 400 naming its field, and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(badPatch, async (bad) => {
        const response = await api.service.app.inject({
          method: 'PATCH',
          url: `/v1/accounts/${bad.id ?? account}`,
          headers: { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json', 'if-match': bad.ifMatch ?? etag },
          payload: bad.body,
        });
        assert.equal(response.statusCode, 400, `${bad.field}: ${response.body}`);
        assert.equal(response.headers['content-type'], PROBLEM_CONTENT_TYPE);
        const problem = JSON.parse(response.body) as { code: string; errors?: Array<{ in: string; field: string }> };
        assert.equal(problem.code, 'validation_error');
        const named = (problem.errors ?? []).map((error) => `${error.in}:${error.field.split('.')[0]}`);
        assert.ok(named.includes(`${bad.location}:${bad.field}`), `${bad.field} not named: ${response.body}`);
      }),
      { numRuns: RUNS },
    );
    const after = await api.request('GET', `/v1/accounts/${account}`);
    assert.equal(after.headers.etag, etag);
    assert.deepEqual((await api.request('GET', `/v1/accounts/${account}/history`)).body.data, []);
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
  });
});
