// Proves that no generated input (bodies, amounts, text, nesting, headers, content types, paths,
// queries, sizes) makes the service answer 5xx, that every 4xx is problem+json from the catalogue,
// and that the ledger's invariants hold afterwards. FUZZ_RUNS sets the cases per property.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { problem, PROBLEM_CONTENT_TYPE, type ProblemCode } from '../../src/errors.js';
import { settlementAccountId } from '../../src/ids.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { fundedAccount, startTestService, TEST_API_KEY, type TestService } from '../support/service.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const BODY_LIMIT_BYTES = 1024 * 1024;
const WRITE_PATHS = ['/v1/accounts', '/v1/transactions/deposit', '/v1/transactions/withdraw', '/v1/transactions/transfer'] as const;
type WritePath = (typeof WRITE_PATHS)[number];

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  payload?: string | Buffer;
}

interface Fixtures {
  usd: string;
  usdEmpty: string;
  eur: string;
  transaction: string;
  hold: string;
  settlement: string;
  /** Every /v1 operation of the OpenAPI document, plus the health routes. */
  routes: Array<{ method: string; path: string }>;
}

// ---- Generators --------------------------------------------------------------------------------

/** Single characters chosen to break things: NUL, lone surrogates, controls, quotes, RTL, astral. */
const nastyCharacter = fc.constantFrom(
  '\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\u0001', '\u001f', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029',
  '\u202e', '\ufeff', '\ufffd', '\uffff', '"', '\\', '/', "'", '%', '$1', '😀', '\u{10ffff}', 'é', 'e\u0301', '١', '１', '\n', '\t',
);

const anyCharacter = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) },
  { weight: 2, arbitrary: nastyCharacter },
);

/** Text from empty to several times the field limits, any UTF-16 code unit included. */
const nastyText = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: anyCharacter, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', 'é', '😀', '\u0000'), fc.integer({ min: 250, max: 20_000 })).map(([unit, count]) => unit.repeat(count)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'USD', 'usd', 'US', 'USDUSDUSDUS', 'null', '0', '1050', '01', '-1', '1e3', 'NaN') },
);

/** A JSON token at every edge of the amount range, as numbers and as strings. */
const AMOUNT_EDGES = [
  '0', '1', '2', '-1', '-0', '0.0', '1.0', '1.5', '0.5', '1e3', '1E+2', '1e-2', '-1e3', '1e308', '1e400', '-1e400',
  '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740991', '4294967296', '18446744073709551616',
  '99999999999999999999999999999999999999', '100000000000000000000000000000000000000', '1e38', '1e37',
  '"0"', '"1"', '"2"', '"01"', '"-1"', '"+1"', '" 1"', '"1 "', '"1e3"', '"1.0"', '"1.5"', '"0x10"', '"1_000"', '"1,000"',
  '"9007199254740991"', '"9007199254740993"', '"99999999999999999999999999999999999999"',
  '"100000000000000000000000000000000000000"', '"999999999999999999999999999999999999999"', '"١٢٣"', '"１"', '"1\\u0000"', '"\\ud800"',
  '""', 'null', 'true', 'false', '[]', '[1]', '{}', '{"amount":1}',
];

const amountToken = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...AMOUNT_EDGES) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map((value) => JSON.stringify(value.toString())) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map((value) => value.toString()) },
  { weight: 1, arbitrary: fc.double().map((value) => (Number.isFinite(value) ? String(value) : '1e999')) },
);

/** Any JSON value as text: generated JSON, nasty strings and amount edges. */
const jsonText = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  { weight: 3, arbitrary: nastyText.map((text) => JSON.stringify(text)) },
  { weight: 2, arbitrary: amountToken },
  { weight: 1, arbitrary: fc.dictionary(nastyText, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).map((value) => JSON.stringify(value)) },
);

/** Nested arrays or objects, from a little to far deeper than any stack. */
const deepJson = fc.tuple(fc.constantFrom('array', 'object', 'mixed'), fc.integer({ min: 50, max: 150_000 })).map(([shape, depth]) => {
  if (shape === 'array') return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  if (shape === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
});

const idempotencyKeyHeader = fc.oneof(
  { weight: 3, arbitrary: fc.constant<string | undefined>(undefined) },
  { weight: 3, arbitrary: fc.uuid().map((id) => `fuzz-${id}`) },
  { weight: 1, arbitrary: fc.constant('fuzz-shared-key') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '', ' ', '\t', 'a'.repeat(255), 'a'.repeat(256), 'a'.repeat(10_000), 'ключ', 'é', '\u00ff', 'a\tb', 'key ', '~!@#$%^&*()',
    ),
  },
  { weight: 1, arbitrary: fc.array(fc.uuid(), { minLength: 2, maxLength: 3 }) },
  // Header values may hold tab, visible ASCII and obs-text (0x80-0xff), nothing else.
  { weight: 2, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((code) => code !== 0x7f).map((code) => String.fromCharCode(code)), maxLength: 300 }) },
);

const contentType = fc.constantFrom(
  'application/json', 'application/json; charset=utf-8', 'application/JSON', 'application/json;charset=UTF-8',
  'application/json; charset=latin1', 'application/problem+json', 'application/vnd.api+json', 'application/jsonx',
  'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream',
  '', '*/*', 'application/json, text/plain', ';', 'json', undefined,
);

/** A path segment, percent-encoded as a client would send it, or a hand-made hostile one. */
const pathSegment = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: anyCharacter, maxLength: 60 }).map(percentEncode) },
  { weight: 1, arbitrary: fc.uuid().map((id) => id.toUpperCase()) },
  { weight: 1, arbitrary: fc.uuid() },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '', '.', '..', '%2e%2e', '%2F', '%00', '%ZZ', '%', '%C0%AF', '%ED%A0%80', '%FF', 'a%00b', '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff', '{0190a000-0000-7000-8000-000000000000}', 'urn:uuid:0190a000-0000-7000-8000-000000000000',
      '0190a000-0000-7000-8000-00000000000', '0190a000-0000-7000-8000-0000000000000', '0190a0000000700080000000000000000',
      'x'.repeat(101), 'x'.repeat(10_000), 'deposit', 'transfer', 'entries', '%20', '+', '*',
    ),
  },
);

const CURSOR_SEQUENCES = ['0', '1', '-1', '01', '9223372036854775807', '9223372036854775808', '9999999999999999999', '99999999999999999999', 'x'];
const queryString = fc.oneof(
  fc.constant(''),
  fc.tuple(
    fc.option(
      fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 500 }).map(String) },
        { weight: 2, arbitrary: fc.constantFrom('0', '501', '-1', '1.5', '1e2', '', 'abc', ' 1', '%00', '99999999999999999999', 'null') },
        { weight: 1, arbitrary: nastyText.map(percentEncode) },
      ),
      { freq: 2 },
    ),
    fc.option(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...CURSOR_SEQUENCES).map((sequence) => Buffer.from(`seq:${sequence}`).toString('base64url')) },
        { weight: 1, arbitrary: nastyText.map((text) => Buffer.from(text).toString('base64url')) },
        { weight: 1, arbitrary: nastyText.map(percentEncode) },
      ),
      { freq: 4 },
    ),
    fc.option(fc.constantFrom('limit=1&limit=2', 'cursor=a&cursor=b', 'extra=1', 'limit[]=1', '__proto__=1', 'constructor[prototype]=1'), { freq: 6 }),
  ).map(([limit, cursor, extra]) =>
    `?${[limit !== null ? `limit=${limit}` : '', cursor !== null ? `cursor=${cursor}` : '', extra ?? ''].filter(Boolean).join('&')}`,
  ),
);

function percentEncode(text: string): string {
  let encoded = '';
  for (const character of text) {
    if (/^[A-Za-z0-9\-._~]$/.test(character)) encoded += character;
    else for (const byte of Buffer.from(character)) encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

// ---- Requests and the response contract --------------------------------------------------------

function validBody(path: WritePath, fixtures: Fixtures): Map<string, string> {
  const fields = new Map<string, string>();
  if (path === '/v1/accounts') {
    fields.set('currency', '"USD"');
    fields.set('metadata', '{"source":"fuzz"}');
  } else if (path === '/v1/transactions/transfer') {
    fields.set('source_account_id', JSON.stringify(fixtures.usd));
    fields.set('destination_account_id', JSON.stringify(fixtures.usdEmpty));
    fields.set('amount', '"1"');
    fields.set('description', '"fuzz"');
  } else {
    fields.set('account_id', JSON.stringify(fixtures.usd));
    fields.set('amount', '1');
    fields.set('currency', '"USD"');
    fields.set('metadata', '{"n":1}');
  }
  return fields;
}

/** The fixture a route's {id} names: a transaction, a hold or an account. */
function idFor(path: string, fixtures: Fixtures): string {
  if (path.startsWith('/v1/transactions')) return fixtures.transaction;
  return path.startsWith('/v1/holds') ? fixtures.hold : fixtures.usd;
}

function bodyText(fields: Map<string, string>): string {
  return `{${[...fields].map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;
}

function writeRequest(path: string, payload: string | Buffer | undefined, idempotencyKey?: string | string[]): FuzzRequest {
  const headers: Record<string, string | string[]> = { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json' };
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  return { method: 'POST', url: path, headers, payload };
}

let keyCounter = 0;
function freshKey(): string {
  keyCounter += 1;
  return `fuzz-${process.pid}-${keyCounter}`;
}

function describeRequest(request: FuzzRequest): string {
  const payload = request.payload === undefined ? '' : String(request.payload);
  const shown = payload.length > 300 ? `${payload.slice(0, 300)}… (${payload.length} characters)` : payload;
  return `${request.method} ${request.url.slice(0, 300)} ${JSON.stringify(request.headers).slice(0, 500)} ${JSON.stringify(shown)}`;
}

/** Sends the request and checks the response contract; returns the status. */
async function sendChecked(api: TestService, request: FuzzRequest): Promise<number> {
  const response = await api.service.app.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: request.headers,
    payload: request.payload,
  });
  const what = `${describeRequest(request)}\n→ ${response.statusCode} ${response.body.slice(0, 1000)}`;
  assert.ok(response.statusCode < 500, `5xx for ${what}`);
  if (response.statusCode >= 400 && request.method !== 'HEAD') assertCatalogueProblem(response.statusCode, response.headers['content-type'], response.body, what);
  return response.statusCode;
}

function assertCatalogueProblem(status: number, type: unknown, raw: string, what: string): void {
  assert.equal(type, PROBLEM_CONTENT_TYPE, `content type for ${what}`);
  const body = JSON.parse(raw);
  let expected: ReturnType<typeof problem>;
  try {
    expected = problem(body.code as ProblemCode, body.detail);
  } catch {
    assert.fail(`code ${body.code} is not in the catalogue: ${what}`);
  }
  assert.equal(typeof expected.status, 'number', `code ${body.code} is not in the catalogue: ${what}`);
  assert.equal(body.status, status, `status member for ${what}`);
  assert.equal(expected.status, status, `catalogue status of ${body.code} for ${what}`);
  assert.equal(body.title, expected.title, `title for ${what}`);
  assert.equal(body.type, expected.type, `type for ${what}`);
  assert.ok(typeof body.detail === 'string' && body.detail.length > 0, `detail for ${what}`);
  if (body.errors !== undefined) {
    assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `errors for ${what}`);
    for (const error of body.errors) {
      assert.ok(['body', 'query', 'path', 'header'].includes(error.in), `errors[].in for ${what}`);
      assert.equal(typeof error.field, 'string', `errors[].field for ${what}`);
      assert.equal(typeof error.message, 'string', `errors[].message for ${what}`);
    }
  }
}

function runs(factor = 1): fc.Parameters<unknown> {
  return { numRuns: Math.max(1, Math.round(RUNS * factor)), endOnFailure: false };
}

// ---- The properties ----------------------------------------------------------------------------

describe('bad input never breaks the service', () => {
  let api: TestService;
  let fixtures: Fixtures;
  before(async () => {
    api = await startTestService();
    const usd = await fundedAccount(api, 'USD', 1_000_000n);
    const { rows } = await api.database.pool.query(`SELECT id FROM ledger_transactions LIMIT 1`);
    const document = (await api.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/v1'))
      .flatMap(([path, item]) => Object.keys(item).map((method) => ({ method: method.toUpperCase(), path })));
    assert.equal(routes.length, 19, 'every /v1 operation is fuzzed');
    const hold = await api.request('POST', '/v1/holds', { body: { source_account_id: usd, amount: '10' }, idempotencyKey: freshKey() });
    assert.equal(hold.status, 201, hold.raw);
    fixtures = {
      usd,
      usdEmpty: await fundedAccount(api, 'USD', 0n),
      eur: await fundedAccount(api, 'EUR', 10n),
      transaction: rows[0].id,
      hold: hold.body.id,
      settlement: settlementAccountId('USD'),
      routes: [...routes, { method: 'GET', path: '/healthz' }, { method: 'GET', path: '/readyz' }],
    };
  });
  after(async () => {
    // Whatever was accepted along the way, the ledger is still sound.
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
    await api.close();
  });

  test('arbitrary JSON, text and bytes as the body of every operation', async () => {
    const payload = fc.oneof(
      { weight: 4, arbitrary: jsonText },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
      { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', '}', '{"a":1', 'nul', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\ufeff{}', '{"currency":"USD"}garbage', '[{"currency":"USD"}]') },
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(fixtures.routes.length - 1), payload, idempotencyKeyHeader, async (routeIndex, body, key) => {
        const route = fixtures.routes[routeIndex]!;
        const url = route.path.replace('{id}', idFor(route.path, fixtures));
        const request = writeRequest(url, body, key);
        request.method = route.method;
        await sendChecked(api, request);
      }),
      runs(),
    );
  });

  test('near-valid bodies with one field replaced, removed or added', async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), position: fc.nat(), value: jsonText }),
      fc.record({ kind: fc.constant('remove' as const), position: fc.nat() }),
      fc.record({ kind: fc.constant('add' as const), name: fc.oneof(nastyText, fc.constantFrom('__proto__', 'constructor', 'amount', 'external_ref', 'description')), value: jsonText }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WRITE_PATHS), mutation, fc.boolean(), async (path, change, keyed) => {
        const fields = validBody(path, fixtures);
        const names = [...fields.keys()];
        if (change.kind === 'replace') fields.set(names[change.position % names.length]!, change.value);
        if (change.kind === 'remove') fields.delete(names[change.position % names.length]!);
        if (change.kind === 'add') fields.set(change.name, change.value);
        await sendChecked(api, writeRequest(path, bodyText(fields), keyed ? freshKey() : undefined));
      }),
      runs(2),
    );
  });

  test('amounts at every edge of the range, as numbers and strings, on every money operation', async () => {
    const path = fc.constantFrom('/v1/transactions/deposit', '/v1/transactions/withdraw', '/v1/transactions/transfer') as fc.Arbitrary<WritePath>;
    await fc.assert(
      fc.asyncProperty(path, amountToken, async (operation, amount) => {
        const fields = validBody(operation, fixtures);
        fields.set('amount', amount);
        const status = await sendChecked(api, writeRequest(operation, bodyText(fields), freshKey()));
        // Only a canonical decimal string from 1 to 10^38-1, or a JSON number written as plain digits
        // that is a safe integer (never 1.0 or 1e3, which JSON.parse would round to one), may be accepted.
        if (status === 201) {
          const value: unknown = JSON.parse(amount);
          const accepted = typeof value === 'string' ? /^[1-9][0-9]{0,37}$/.test(value) : /^[1-9][0-9]*$/.test(amount) && Number.isSafeInteger(value);
          assert.ok(accepted, `accepted amount ${amount}`);
        }
      }),
      runs(),
    );
  });

  test('NUL and lone surrogates in every string position are a validation_error, never stored', async () => {
    const unstorable = fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\u0000', '\ud800', '\udfff', '\udbff\u0041'), fc.string({ maxLength: 8 }))
      .map(([head, bad, tail]) => `${head}${bad}${tail}`);
    const positions = fc.constantFrom('field', 'metadata value', 'metadata key', 'nested metadata', 'unknown key');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WRITE_PATHS), fc.nat(), positions, unstorable, async (path, index, position, text) => {
        const fields = validBody(path, fixtures);
        const names = [...fields.keys()];
        if (position === 'field') fields.set(names[index % names.length]!, JSON.stringify(text));
        if (position === 'metadata value') fields.set('metadata', JSON.stringify({ note: text }));
        if (position === 'metadata key') fields.set('metadata', JSON.stringify({ [text]: 1 }));
        if (position === 'nested metadata') fields.set('metadata', JSON.stringify({ a: [{ b: text }] }));
        if (position === 'unknown key') fields.set(text, '1');
        const status = await sendChecked(api, writeRequest(path, bodyText(fields), freshKey()));
        assert.equal(status, 400, `${position} ${JSON.stringify(text)} on ${path}`);
      }),
      runs(),
    );
  });

  test('deep nesting in the body, in metadata and in every field', async () => {
    const positions = fc.constantFrom('root', 'metadata', 'amount', 'description', 'account_id');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WRITE_PATHS), positions, deepJson, async (path, position, nested) => {
        const fields = validBody(path, fixtures);
        const wrapped = position === 'metadata' ? `{"deep":${nested}}` : nested;
        if (position !== 'root') fields.set(position, wrapped);
        const body = position === 'root' ? nested : bodyText(fields);
        await sendChecked(api, writeRequest(path, body, freshKey()));
      }),
      runs(0.25),
    );
  });

  test('headers: Idempotency-Key, content types, lengths, request ids and API keys', async () => {
    const apiKey = fc.oneof(
      { weight: 4, arbitrary: fc.constant(TEST_API_KEY) },
      { weight: 1, arbitrary: fc.constantFrom(undefined, '', ' ', TEST_API_KEY.toUpperCase(), ` ${TEST_API_KEY}`, `${TEST_API_KEY}\u00ff`, 'x'.repeat(20_000)) },
      { weight: 1, arbitrary: fc.array(fc.constant(TEST_API_KEY), { minLength: 2, maxLength: 2 }) },
    );
    const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((code) => code !== 0x7f).map((code) => String.fromCharCode(code)), maxLength: 200 });
    const extras = fc.record(
      {
        'x-request-id': fc.oneof(headerText, fc.constant('r'.repeat(129))),
        'content-length': fc.constantFrom('0', '1', '5', '-1', 'abc', '99999999999', '1.5'),
        'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x'),
        'accept': fc.constantFrom('application/xml', 'text/html', '*/*', ''),
        'transfer-encoding': fc.constantFrom('chunked', 'gzip'),
        'expect': fc.constant('100-continue'),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WRITE_PATHS), idempotencyKeyHeader, contentType, apiKey, extras, async (path, key, type, givenKey, more) => {
        const request = writeRequest(path, bodyText(validBody(path, fixtures)), key);
        if (type === undefined) delete request.headers['content-type'];
        else request.headers['content-type'] = type;
        if (givenKey === undefined) delete request.headers['x-service-api-key'];
        else request.headers['x-service-api-key'] = givenKey;
        Object.assign(request.headers, more);
        await sendChecked(api, request);
      }),
      runs(),
    );
  });

  test('path segments, methods and query strings on every route, and unknown paths', async () => {
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS');
    const knownPath = fc.tuple(fc.nat(fixtures.routes.length - 1), pathSegment).map(([index, segment]) => fixtures.routes[index]!.path.replace('{id}', segment));
    const unknownPath = fc.array(pathSegment, { minLength: 1, maxLength: 4 }).chain((segments) =>
      fc.constantFrom('/', '/v1/', '/v2/', '/v1/accounts/', '/v1/transactions/', '//v1/', '/V1/', '/%76%31/').map((prefix) => `${prefix}${segments.join('/')}`),
    );
    await fc.assert(
      fc.asyncProperty(method, fc.oneof(knownPath, unknownPath), queryString, fc.boolean(), async (verb, path, query, keyed) => {
        const request: FuzzRequest = { method: verb, url: `${path}${query}`, headers: keyed ? { 'x-service-api-key': TEST_API_KEY } : {} };
        if (path.includes('/docs')) return;
        await sendChecked(api, request);
      }),
      runs(2),
    );
  });

  test('the entries cursor and limit, generated and at their edges', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(fixtures.usd, fixtures.settlement, fixtures.eur), queryString, async (account, query) => {
        await sendChecked(api, { method: 'GET', url: `/v1/accounts/${account}/entries${query}`, headers: { 'x-service-api-key': TEST_API_KEY } });
      }),
      runs(),
    );
  });

  test('an id in upper case names the same account or transaction on every route', async () => {
    const upper = (id: string) => id.toUpperCase();
    const send = (method: string, url: string, body?: unknown) =>
      api.request(method, url, { body, idempotencyKey: body === undefined ? undefined : freshKey() });
    assert.equal((await send('GET', `/v1/accounts/${upper(fixtures.usd)}`)).body.id, fixtures.usd);
    assert.equal((await send('GET', `/v1/accounts/${upper(fixtures.usd)}/entries?limit=1`)).status, 200);
    assert.equal((await send('GET', `/v1/transactions/${upper(fixtures.transaction)}`)).body.id, fixtures.transaction);
    assert.equal((await send('GET', `/v1/holds/${upper(fixtures.hold)}`)).body.id, fixtures.hold);
    assert.equal((await send('GET', `/v1/accounts/${upper(fixtures.usd)}/holds?limit=1`)).status, 200);
    for (const [path, body] of [
      ['/v1/transactions/deposit', { account_id: upper(fixtures.usdEmpty), amount: '3' }],
      ['/v1/transactions/withdraw', { account_id: upper(fixtures.usdEmpty), amount: '1' }],
      ['/v1/transactions/transfer', { source_account_id: upper(fixtures.usdEmpty), destination_account_id: fixtures.usd, amount: '1' }],
    ] as const) {
      const response = await send('POST', path, body);
      assert.equal(response.status, 201, `${path}: ${response.raw}`);
    }
    const same = await send('POST', '/v1/transactions/transfer', { source_account_id: upper(fixtures.usd), destination_account_id: fixtures.usd, amount: '1' });
    assert.equal(same.body.code, 'same_account', same.raw);
  });

  test('payloads around and far over the 1 MB limit, in every field', async () => {
    const size = fc.constantFrom(BODY_LIMIT_BYTES - 100, BODY_LIMIT_BYTES - 1, BODY_LIMIT_BYTES, BODY_LIMIT_BYTES + 1, 2 * BODY_LIMIT_BYTES, 5 * BODY_LIMIT_BYTES);
    const position = fc.constantFrom('description', 'metadata', 'external_ref', 'amount', 'unknown', 'padding');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WRITE_PATHS), position, size, fc.boolean(), async (path, where, bytes, withType) => {
        const fields = validBody(path, fixtures);
        const filler = 'x'.repeat(Math.max(0, bytes - bodyText(fields).length - 40));
        if (where === 'metadata') fields.set('metadata', JSON.stringify({ filler }));
        else if (where === 'padding') fields.set('description', JSON.stringify('d'));
        else fields.set(where === 'unknown' ? 'filler' : where, JSON.stringify(filler));
        const body = where === 'padding' ? `${bodyText(fields)}${' '.repeat(Math.max(0, bytes - bodyText(fields).length))}` : bodyText(fields);
        const request = writeRequest(path, body, freshKey());
        if (!withType) delete request.headers['content-type'];
        const status = await sendChecked(api, request);
        if (Buffer.byteLength(body) > BODY_LIMIT_BYTES && withType) assert.equal(status, 413, `${body.length} bytes`);
      }),
      runs(0.1),
    );
  });
});
