// Proves that every generated bad body for POST /v1/holds, /v1/holds/{id}/capture, /v1/holds/{id}/void
// and /v1/transactions/{id}/reverse (one field of a valid body replaced by a bad value, removed when
// required, or an unknown field added), every bad id in their paths and every bad query of the holds
// list is a 400 validation_error in application/problem+json naming exactly that field, never a
// 5xx; and that none of them moved money or reserved any.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { AMOUNT_PATTERN } from '../../src/money.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { fundedAccount, newKey, startTestService, TEST_API_KEY, type TestService } from '../support/service.js';
import { PROBLEM_CONTENT_TYPE } from '../http/helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const HOUR_MS = 3_600_000;
/** The documented default of HOLD_TTL_MAX_HOURS. */
const HOLD_TTL_MAX_MS = 720 * HOUR_MS;
const DESCRIPTION_LENGTH_MAX = 1_000;
const METADATA_BYTES_MAX = 4_096;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

type Route = 'hold' | 'capture' | 'void' | 'reverse';

interface Fixtures {
  source: string;
  destination: string;
  hold: string;
  transaction: string;
}

// ---- Bad values, each a JSON text, per field -----------------------------------------------------

const notObjectOrString = fc.constantFrom('null', 'true', 'false', '0', '1', '-1', '1.5', '[]', '["x"]', '{}', '{"a":1}');
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', 'null', 'a\u0000b', '\ud800', 'x\udc00', '😀', '\u202e', '1', '01'),
);

/** Anything that is not a UUID: short, long, wrong characters, braces, other types. */
const badUuid = fc.oneof(
  notObjectOrString,
  nastyString.filter((text) => !UUID.test(text)).map((text) => JSON.stringify(text)),
  fc.uuid().chain((id) => fc.constantFrom(`${id}0`, id.slice(1), `{${id}}`, id.replaceAll('-', ''), ` ${id}`, `g${id.slice(1)}`)).map((text) => JSON.stringify(text)),
);

/** Amounts the API must refuse: zero, negative, fractions, exponents, out of range, other types. */
const badAmount = fc
  .oneof(
    fc.constantFrom('0', '-1', '-0', '1.0', '1.5', '1e3', '1E+2', '9007199254740992', '1e400', '"0"', '"01"', '"-1"', '"+1"', '" 1"', '"1 "', '"1e3"', '"1.0"', '"0x10"', '"1,000"', '""', '"١"', 'null', 'true', '[]', '[1]', '{}'),
    fc.bigInt({ min: -(10n ** 40n), max: 0n }).map((value) => value.toString()),
    fc.bigInt({ min: 10n ** 38n, max: 10n ** 40n }).map((value) => JSON.stringify(value.toString())),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Number.isInteger(value)).map(String),
  )
  .filter((token) => {
    const value: unknown = JSON.parse(token);
    if (typeof value === 'string') return !new RegExp(AMOUNT_PATTERN).test(value);
    return !(typeof value === 'number' && /^[1-9][0-9]*$/.test(token) && Number.isSafeInteger(value));
  });

const badCurrency = fc.oneof(
  notObjectOrString,
  fc.constantFrom('usd', 'US', 'ABCDEFGHIJK', 'US D', 'US-D', '', 'ÜSD', 'usd\u0000').map((text) => JSON.stringify(text)),
  nastyString.filter((text) => !/^[A-Z0-9]{3,10}$/.test(text)).map((text) => JSON.stringify(text)),
);

/** A bad value as JSON text, made when sent (a time relative to now), and how a failure shows it. */
interface BadValue {
  shown: string;
  text(): string;
}
const fixed = (text: string): BadValue => ({ shown: text.length > 200 ? `${text.slice(0, 200)}… (${text.length})` : text, text: () => text });

/** Text that is no date-time, or a date-time in the past or beyond HOLD_TTL_MAX_HOURS (computed when sent). */
const badExpiry = fc.oneof(
  notObjectOrString.map(fixed),
  fc.constantFrom('', 'tomorrow', '2030-01-01', '2030-13-01T00:00:00Z', '2030-01-01T25:00:00Z', '2030-01-01 00:00:00', 'Infinity', '1e13')
    .map((text) => fixed(JSON.stringify(text))),
  fc.integer({ min: 0, max: 10 * 365 * 24 * HOUR_MS }).map((ms): BadValue => ({ shown: `now - ${ms} ms`, text: () => JSON.stringify(new Date(Date.now() - ms).toISOString()) })),
  fc.integer({ min: 60_000, max: 10 * 365 * 24 * HOUR_MS })
    .map((ms): BadValue => ({ shown: `now + max + ${ms} ms`, text: () => JSON.stringify(new Date(Date.now() + HOLD_TTL_MAX_MS + ms).toISOString()) })),
);

const badDescription = fc.oneof(
  notObjectOrString,
  fc.integer({ min: DESCRIPTION_LENGTH_MAX + 1, max: 5 * DESCRIPTION_LENGTH_MAX }).map((length) => JSON.stringify('d'.repeat(length))),
  fc.constantFrom('a\u0000b', '\ud800', 'x\udfff y').map((text) => JSON.stringify(text)),
);

const badMetadata = fc.oneof(
  fc.constantFrom('null', 'true', '0', '"text"', '[]', '[{"a":1}]'),
  fc.integer({ min: METADATA_BYTES_MAX, max: 3 * METADATA_BYTES_MAX }).map((length) => JSON.stringify({ k: 'x'.repeat(length) })),
  fc.constantFrom({ 'k\u0000': 1 }, { note: 'a\u0000' }, { deep: { x: '\ud800' } }, { list: ['\udfff'] }).map((value) => JSON.stringify(value)),
);

const KNOWN_FIELDS = ['source_account_id', 'destination_account_id', 'amount', 'currency', 'expires_at', 'description', 'metadata'];
const unknownField = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,20}$/).filter((name) => !KNOWN_FIELDS.includes(name) && name !== '__proto__');

const BAD_VALUES: Record<string, fc.Arbitrary<BadValue>> = {
  source_account_id: badUuid.map(fixed),
  destination_account_id: badUuid.map(fixed),
  amount: badAmount.map(fixed),
  currency: badCurrency.map(fixed),
  expires_at: badExpiry,
  description: badDescription.map(fixed),
  metadata: badMetadata.map(fixed),
};

/** Each route's valid body (as JSON texts per field), the fields it takes, and those it requires. */
const ROUTES: Record<Route, { fields: string[]; required: string[] }> = {
  hold: { fields: KNOWN_FIELDS, required: ['source_account_id', 'amount'] },
  capture: { fields: ['amount'], required: [] },
  void: { fields: [], required: [] },
  reverse: { fields: ['amount', 'description', 'metadata'], required: [] },
};

function validBody(route: Route, fixtures: Fixtures): Map<string, string> {
  const fields = new Map<string, string>();
  if (route === 'hold') {
    fields.set('source_account_id', JSON.stringify(fixtures.source));
    fields.set('destination_account_id', JSON.stringify(fixtures.destination));
    fields.set('currency', '"USD"');
    fields.set('expires_at', JSON.stringify(new Date(Date.now() + HOUR_MS).toISOString()));
    fields.set('description', '"fuzz"');
    fields.set('metadata', '{"n":1}');
  }
  if (route === 'hold' || route === 'capture' || route === 'reverse') fields.set('amount', '"1"');
  if (route === 'reverse') {
    fields.set('description', '"fuzz"');
    fields.set('metadata', '{"n":1}');
  }
  return fields;
}

function pathOf(route: Route, fixtures: Fixtures, id?: string): string {
  if (route === 'hold') return '/v1/holds';
  if (route === 'reverse') return `/v1/transactions/${id ?? fixtures.transaction}/reverse`;
  return `/v1/holds/${id ?? fixtures.hold}/${route}`;
}

function bodyText(fields: Map<string, string>): string {
  return `{${[...fields].map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;
}

/** The answer is a 400 validation_error problem whose errors name `field` (or fields inside it) at `location`, and nothing else. */
async function assertNamed(api: TestService, method: string, url: string, payload: string | undefined, location: string, field: string): Promise<void> {
  const headers: Record<string, string> = { 'x-service-api-key': TEST_API_KEY, 'idempotency-key': newKey() };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const response = await api.service.app.inject({ method: method as 'POST', url, headers, payload });
  const what = `${method} ${url} ${payload?.slice(0, 300)}\n→ ${response.statusCode} ${response.body.slice(0, 1_000)}`;
  assert.ok(response.statusCode < 500, `5xx for ${what}`);
  assert.equal(response.statusCode, 400, what);
  assert.equal(response.headers['content-type'], PROBLEM_CONTENT_TYPE, what);
  const body = JSON.parse(response.body);
  assert.equal(body.code, 'validation_error', what);
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, what);
  for (const error of body.errors) {
    assert.equal(error.in, location, what);
    assert.ok(error.field === field || error.field.startsWith(`${field}.`), `names ${error.field}, not ${field}: ${what}`);
    assert.equal(typeof error.message, 'string', what);
  }
}

const runs = (factor = 1) => ({ numRuns: Math.max(1, Math.round(RUNS * factor)), endOnFailure: true, includeErrorInReport: true });

describe('bad input to holds and reversals', () => {
  let api: TestService;
  let fixtures: Fixtures;
  let before_: unknown;
  const snapshot = async () =>
    (await api.database.pool.query(`SELECT id, balance::text, pending_debits::text, pending_credits::text, version FROM accounts ORDER BY id`)).rows;

  before(async () => {
    api = await startTestService();
    const source = await fundedAccount(api, 'USD', 1_000n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const hold = await api.request('POST', '/v1/holds', { body: { source_account_id: source, destination_account_id: destination, amount: '100' }, idempotencyKey: newKey() });
    assert.equal(hold.status, 201, hold.raw);
    const { rows } = await api.database.pool.query(`SELECT id FROM ledger_transactions WHERE destination_account_id = $1`, [source]);
    fixtures = { source, destination, hold: hold.body.id, transaction: rows[0].id };
    before_ = await snapshot();
  });
  after(async () => {
    // Nothing of all that moved money, reserved it or changed the hold.
    assert.deepEqual(await snapshot(), before_);
    assert.equal((await api.request('GET', `/v1/holds/${fixtures.hold}`)).body.status, 'pending');
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
    await api.close();
  });

  test('one field of a valid body replaced by a bad value is named', async () => {
    const replaced = fc.constantFrom<Route>('hold', 'capture', 'reverse').chain((route) =>
      fc.constantFrom(...ROUTES[route].fields).chain((field) => BAD_VALUES[field]!.map((value) => ({ route, field, value }))),
    );
    await fc.assert(
      fc.asyncProperty(replaced, async ({ route, field, value }) => {
        const fields = validBody(route, fixtures);
        fields.set(field, value.text());
        await assertNamed(api, 'POST', pathOf(route, fixtures), bodyText(fields), 'body', field);
      }),
      runs(2),
    );
  });

  test('a required field removed, or an unknown field added, is named', async () => {
    const change = fc.oneof(
      fc.constantFrom(...ROUTES.hold.required).map((field) => ({ route: 'hold' as Route, field, added: undefined })),
      fc.tuple(fc.constantFrom<Route>('hold', 'capture', 'void', 'reverse'), unknownField, fc.constantFrom('1', '"x"', 'null', '{}', '[]'))
        .map(([route, field, added]) => ({ route, field, added })),
    );
    await fc.assert(
      fc.asyncProperty(change, async ({ route, field, added }) => {
        const fields = validBody(route, fixtures);
        if (added === undefined) fields.delete(field);
        else fields.set(field, added);
        await assertNamed(api, 'POST', pathOf(route, fixtures), bodyText(fields), 'body', field);
      }),
      runs(),
    );
  });

  test('an id that is no UUID in the path is named', async () => {
    const badId = fc.oneof(
      fc.stringMatching(/^[0-9a-zA-Z-]{1,60}$/).filter((text) => !UUID.test(text)),
      fc.uuid().chain((id) => fc.constantFrom(`${id}0`, id.slice(1), id.replaceAll('-', ''), `g${id.slice(1)}`)),
    );
    const target = fc.constantFrom('GET hold', 'POST capture', 'POST void', 'POST reverse', 'GET holds of account');
    await fc.assert(
      fc.asyncProperty(target, badId, async (which, id) => {
        const [method, route] = which.split(' ', 2) as [string, string];
        const url = which === 'GET hold' ? `/v1/holds/${id}` : which === 'GET holds of account' ? `/v1/accounts/${id}/holds` : pathOf(route as Route, fixtures, id);
        await assertNamed(api, method, url, method === 'POST' ? '{}' : undefined, 'path', 'id');
      }),
      runs(0.5),
    );
  });

  test('a bad status, limit or cursor of the holds list is named', async () => {
    const query = fc.oneof(
      fc.constantFrom('', 'PENDING', 'open', 'posted', 'pending,captured', '0').map((value) => ['status', value] as const),
      fc.constantFrom('0', '-1', '501', '1.5', 'abc', '', '99999999999999999999').map((value) => ['limit', value] as const),
      fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('seq:1', 'x', 'hold:99999999999999999999:0190a000-0000-7000-8000-000000000000', 'hold:8640000000000001:0190a000-0000-7000-8000-000000000000', 'hold:1:0190a000')).map((value) => ['cursor', Buffer.from(value).toString('base64url')] as const),
    );
    await fc.assert(
      fc.asyncProperty(query, async ([name, value]) => {
        const url = `/v1/accounts/${fixtures.source}/holds?${name}=${encodeURIComponent(value)}`;
        await assertNamed(api, 'GET', url, undefined, 'query', name);
      }),
      runs(0.5),
    );
  });
});
