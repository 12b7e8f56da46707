// Proves that every generated bad body for POST /v1/transactions (a multi-leg transaction: one
// field of a valid three-leg body, or of one of its legs, replaced by a bad value, removed when
// required, or an unknown field added; too few or too many legs) is a 400 validation_error in
// application/problem+json naming exactly that field, never a 5xx; that a leg refused by the
// ledger (unknown or same account, other currency, more than the wallet holds, a balance out of
// range) refuses the whole naming that leg; and that none of them moved any money.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { AMOUNT_MAX, AMOUNT_PATTERN } from '../../src/money.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { fundedAccount, newKey, startTestService, TEST_API_KEY, type TestService } from '../support/service.js';
import { PROBLEM_CONTENT_TYPE, UNKNOWN_ID } from '../http/helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const LEGS = 3;
const LEGS_MAX = 100;
const DESCRIPTION_LENGTH_MAX = 1_000;
const LEG_ACCOUNT = /^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|settlement:[A-Z0-9]{3,10})$/;

const notObjectOrString = fc.constantFrom('null', 'true', 'false', '0', '1', '-1', '1.5', '[]', '["x"]', '{}', '{"a":1}');
const nastyString = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', ' ', 'null', 'a\u0000b', '\ud800', '😀', '\u202e', '1', '01'));

/** Neither a UUID nor settlement:<CURRENCY>. */
const badLegAccount = fc.oneof(
  notObjectOrString,
  nastyString.filter((text) => !LEG_ACCOUNT.test(text)).map((text) => JSON.stringify(text)),
  fc.constantFrom('settlement:usd', 'settlement:', 'settlement:US', 'SETTLEMENT:USD', 'settlement:USD ', 'settlement: USD', 'settlement:ABCDEFGHIJK', 'settlement:US-D')
    .map((text) => JSON.stringify(text)),
  fc.uuid().chain((id) => fc.constantFrom(`${id}0`, id.slice(1), `{${id}}`, id.replaceAll('-', ''), ` ${id}`)).map((text) => JSON.stringify(text)),
);
const badAmount = fc
  .oneof(
    fc.constantFrom('0', '-1', '1.0', '1.5', '1e3', '9007199254740992', '"0"', '"01"', '"-1"', '" 1"', '"1e3"', '""', 'null', 'true', '[]', '{}'),
    fc.bigInt({ min: 10n ** 38n, max: 10n ** 40n }).map((value) => JSON.stringify(value.toString())),
  )
  .filter((token) => {
    const value: unknown = JSON.parse(token);
    if (typeof value === 'string') return !new RegExp(AMOUNT_PATTERN).test(value);
    return !(typeof value === 'number' && /^[1-9][0-9]*$/.test(token) && Number.isSafeInteger(value));
  });
const badCurrency = fc.oneof(
  notObjectOrString,
  fc.constantFrom('usd', 'US', 'ABCDEFGHIJK', 'US D', '', 'usd\u0000').map((text) => JSON.stringify(text)),
);
const badLegs = fc.oneof(
  fc.constantFrom('null', 'true', '0', '"legs"', '{}', '[]'),
  fc.integer({ min: LEGS_MAX + 1, max: LEGS_MAX + 20 }).map((count) => JSON.stringify(Array.from({ length: count }, () => ({ source_account_id: UNKNOWN_ID, destination_account_id: UNKNOWN_ID, amount: '1' })))),
);
const badDescription = fc.oneof(
  notObjectOrString,
  fc.integer({ min: DESCRIPTION_LENGTH_MAX + 1, max: 3 * DESCRIPTION_LENGTH_MAX }).map((length) => JSON.stringify('d'.repeat(length))),
  fc.constantFrom('a\u0000b', '\ud800').map((text) => JSON.stringify(text)),
);
const badMetadata = fc.constantFrom('null', 'true', '0', '"text"', '[]', JSON.stringify({ k: 'x'.repeat(5_000) }), JSON.stringify({ note: 'a\u0000' }));

const LEG_FIELDS = ['source_account_id', 'destination_account_id', 'amount', 'currency'];
const LEG_REQUIRED = ['source_account_id', 'destination_account_id', 'amount'];
const BAD_LEG_VALUES: Record<string, fc.Arbitrary<string>> = {
  source_account_id: badLegAccount, destination_account_id: badLegAccount, amount: badAmount, currency: badCurrency,
};
const BAD_BODY_VALUES: Record<string, fc.Arbitrary<string>> = { legs: badLegs, description: badDescription, metadata: badMetadata };
const unknownField = (known: string[]) => fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,20}$/).filter((name) => !known.includes(name) && name !== '__proto__');

interface Fixtures {
  payer: string;
  payee: string;
  euro: string;
}

/** A valid three-leg body as JSON texts: the body's fields, and each leg's. */
function validBody(fixtures: Fixtures): { body: Map<string, string>; legs: Array<Map<string, string>> } {
  const legs = Array.from({ length: LEGS }, (_, index) => new Map([
    ['source_account_id', JSON.stringify(index === 2 ? 'settlement:USD' : fixtures.payer)],
    ['destination_account_id', JSON.stringify(fixtures.payee)],
    ['amount', '"1"'],
    ['currency', '"USD"'],
  ]));
  return { body: new Map([['description', '"fuzz"'], ['metadata', '{"n":1}']]), legs };
}

function objectText(fields: Map<string, string>): string {
  return `{${[...fields].map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;
}

function bodyText({ body, legs }: ReturnType<typeof validBody>): string {
  const fields = new Map(body);
  if (!fields.has('legs') && legs.length > 0) fields.set('legs', `[${legs.map(objectText).join(',')}]`);
  return objectText(fields);
}

async function send(api: TestService, payload: string) {
  const headers = { 'x-service-api-key': TEST_API_KEY, 'idempotency-key': newKey(), 'content-type': 'application/json' };
  const response = await api.service.app.inject({ method: 'POST', url: '/v1/transactions', headers, payload });
  return { response, what: `POST /v1/transactions ${payload.slice(0, 300)}\n→ ${response.statusCode} ${response.body.slice(0, 1_000)}` };
}

/** A 400 validation_error whose errors name `field` (or fields inside it), and nothing else. */
async function assertNamed(api: TestService, payload: string, field: string): Promise<void> {
  const { response, what } = await send(api, payload);
  assert.ok(response.statusCode < 500, `5xx for ${what}`);
  assert.equal(response.statusCode, 400, what);
  assert.equal(response.headers['content-type'], PROBLEM_CONTENT_TYPE, what);
  const body = JSON.parse(response.body);
  assert.equal(body.code, 'validation_error', what);
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, what);
  for (const error of body.errors) {
    assert.equal(error.in, 'body', what);
    assert.ok(error.field === field || error.field.startsWith(`${field}.`), `names ${error.field}, not ${field}: ${what}`);
  }
}

const runs = (factor = 1) => ({ numRuns: Math.max(1, Math.round(RUNS * factor)), endOnFailure: true, includeErrorInReport: true });

describe('bad input to multi-leg transactions', () => {
  let api: TestService;
  let fixtures: Fixtures;
  let before_: unknown;
  const snapshot = async () => (await api.database.pool.query(`SELECT id, balance::text, version FROM accounts ORDER BY id`)).rows;

  before(async () => {
    api = await startTestService();
    fixtures = { payer: await fundedAccount(api, 'USD', 1_000n), payee: await fundedAccount(api, 'USD', 0n), euro: await fundedAccount(api, 'EUR', 0n) };
    before_ = await snapshot();
  });
  after(async () => {
    try {
      // Nothing of all that moved money.
      assert.deepEqual(await snapshot(), before_);
      assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
    } finally {
      await api.close();
    }
  });

  test('one field of the body or of a leg replaced by a bad value is named', async () => {
    const replaced = fc.oneof(
      fc.constantFrom(...Object.keys(BAD_BODY_VALUES)).chain((field) => BAD_BODY_VALUES[field]!.map((value) => ({ leg: undefined, field, value }))),
      fc.tuple(fc.nat(LEGS - 1), fc.constantFrom(...LEG_FIELDS)).chain(([leg, field]) => BAD_LEG_VALUES[field]!.map((value) => ({ leg, field, value }))),
    );
    await fc.assert(
      fc.asyncProperty(replaced, async ({ leg, field, value }) => {
        const valid = validBody(fixtures);
        (leg === undefined ? valid.body : valid.legs[leg]!).set(field, value);
        await assertNamed(api, bodyText(valid), leg === undefined ? field : `legs.${leg}.${field}`);
      }),
      runs(2),
    );
  });

  test('a required field removed, or an unknown field added, in the body or a leg is named', async () => {
    const change = fc.oneof(
      fc.constant({ leg: undefined as number | undefined, field: 'legs', added: undefined as string | undefined }),
      fc.tuple(fc.nat(LEGS - 1), fc.constantFrom(...LEG_REQUIRED)).map(([leg, field]) => ({ leg, field, added: undefined })),
      fc.tuple(fc.option(fc.nat(LEGS - 1), { nil: undefined }), unknownField(['legs', 'description', 'metadata', ...LEG_FIELDS]), fc.constantFrom('1', '"x"', 'null', '{}'))
        .map(([leg, field, added]) => ({ leg, field, added })),
    );
    await fc.assert(
      fc.asyncProperty(change, async ({ leg, field, added }) => {
        const valid = validBody(fixtures);
        if (field === 'legs') valid.legs = [];
        const fields = leg === undefined ? valid.body : valid.legs[leg]!;
        if (added === undefined) fields.delete(field);
        else fields.set(field, added);
        await assertNamed(api, bodyText(valid), leg === undefined ? field : `legs.${leg}.${field}`);
      }),
      runs(),
    );
  });

  test('a leg the ledger refuses refuses the whole, naming that leg, and applies nothing', async () => {
    // The payer pays in legs 0 and 1, the settlement account in leg 2, the payee is paid in all three.
    // Balances are checked after all legs: a short payer is named by its last debit (leg 1). A
    // balance out of range is found at the leg that takes it there: the payee's with leg 1 at the
    // latest, the settlement account's in leg 2.
    const payerLast = (leg: number) => Math.max(leg, 1);
    const refusals: Record<string, { status: number; code: string; named: (leg: number) => number; spoil: (fields: Map<string, string>) => void }> = {
      unknown: { status: 404, code: 'account_not_found', named: (leg) => leg, spoil: (fields) => fields.set('destination_account_id', JSON.stringify(UNKNOWN_ID)) },
      same: { status: 422, code: 'same_account', named: (leg) => leg, spoil: (fields) => fields.set('destination_account_id', fields.get('source_account_id')!) },
      otherCurrency: { status: 422, code: 'currency_mismatch', named: (leg) => leg, spoil: (fields) => fields.set('destination_account_id', JSON.stringify(fixtures.euro)) },
      namedCurrency: { status: 422, code: 'currency_mismatch', named: (leg) => leg, spoil: (fields) => fields.set('currency', '"EUR"') },
      tooMuch: { status: 422, code: 'insufficient_funds', named: payerLast, spoil: (fields) => fields.set('amount', '"1001"') },
      outOfRange: { status: 422, code: 'balance_overflow', named: payerLast, spoil: (fields) => fields.set('amount', JSON.stringify(AMOUNT_MAX.toString())) },
    };
    // A settlement account may pay any amount: leg 2 is never short.
    const spoiled = fc.tuple(fc.nat(LEGS - 1), fc.constantFrom(...Object.keys(refusals))).filter(([leg, reason]) => !(leg === 2 && reason === 'tooMuch'));
    await fc.assert(
      fc.asyncProperty(spoiled, async ([leg, reason]) => {
        const refusal = refusals[reason]!;
        const valid = validBody(fixtures);
        refusal.spoil(valid.legs[leg]!);
        const { response, what } = await send(api, bodyText(valid));
        assert.equal(response.statusCode, refusal.status, what);
        assert.equal(response.headers['content-type'], PROBLEM_CONTENT_TYPE, what);
        const body = JSON.parse(response.body);
        const named = refusal.named(leg);
        assert.equal(body.code, refusal.code, what);
        assert.equal(body.leg, named, what);
        assert.match(body.detail, new RegExp(`^legs\\[${named}\\]: `), what);
      }),
      runs(0.5),
    );
  });
});
