// Proves that no generated path segment, query string or method on the admin API or under /console
// makes the service answer 5xx, and that every 4xx there is application/problem+json from the
// catalogue: bad input to the operator's routes is refused as it is on /v1.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { problem, PROBLEM_CONTENT_TYPE, type ProblemCode } from '../../src/errors.js';
import { startTestService, TEST_API_KEY, type TestService } from '../support/service.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

let api: TestService;

before(async () => {
  api = await startTestService();
});

after(() => api.close());

const nastyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '.', '..', '%2e%2e', '%2F', '%00', '%ZZ', '%', '%C0%AF', '%ED%A0%80', '%FF', 'index.html', 'console.js', 'x'.repeat(300)),
  fc.uuid(),
);
/** Encoded as a client would, or left raw (broken encodings included). */
const segment = fc.oneof(nastyText.map((text) => encodeURIComponent(text)), nastyText.filter((text) => !/[\s#?/]/.test(text)));
const query = fc.oneof(
  fc.constant(''),
  fc.tuple(fc.constantFrom('external_ref', 'limit', 'cursor', 'external_ref[]', ''), segment).map(([name, value]) => `?${name}=${value}`),
  fc.tuple(segment, segment).map(([first, second]) => `?external_ref=${first}&external_ref=${second}`),
);
const path = fc.oneof(
  segment.map((id) => `/v1/admin/transactions/${id}/events`),
  segment.map((id) => `/v1/admin/dead-letters/${id}/replay`),
  fc.constantFrom('/v1/admin/accounts', '/v1/admin/outbox', '/v1/admin/dead-letters/replay', '/v1/admin', '/v1/admin/'),
  fc.array(segment, { minLength: 1, maxLength: 3 }).map((segments) => `/v1/admin/${segments.join('/')}`),
  fc.array(segment, { minLength: 0, maxLength: 3 }).map((segments) => `/console/${segments.join('/')}`),
);

test('admin and console paths, queries and methods never answer 5xx; every 4xx is a catalogue problem', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'), path, query, fc.boolean(), async (method, url, search, keyed) => {
      const response = await api.service.app.inject({
        method: method as 'GET',
        url: `${url}${search}`,
        headers: keyed ? { 'x-service-api-key': TEST_API_KEY } : {},
      });
      assert.ok(response.statusCode < 500, `${method} ${url}${search}: ${response.statusCode} ${response.body}`);
      if (response.statusCode < 400 || method === 'HEAD') return;
      assert.equal(response.headers['content-type'], PROBLEM_CONTENT_TYPE, `${method} ${url}${search}`);
      const body = JSON.parse(response.body);
      const expected = problem(body.code as ProblemCode, body.detail);
      assert.equal(body.title, expected.title, `${method} ${url}${search}: ${response.body}`);
      assert.equal(body.status, response.statusCode);
    }),
    { numRuns: RUNS },
  );
});
