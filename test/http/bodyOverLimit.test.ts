// Proves that a body over the size limit is answered 413 payload_too_large problem+json that a
// fetch client in another process receives in at least 99 of 100 tries: the service reads and
// discards the unread rest of the body instead of closing the connection while it still arrives,
// which made the kernel reset it and the client see "fetch failed" instead of the answer.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js';
import { TEST_API_KEY } from '../support/service.js';
import { assertProblem } from './helpers.js';

const FETCH_TRIES = 100;
const FAILURES_ALLOWED = 1;
const BODY_OVER_LIMIT_BYTES = 3 * 1024 * 1024;

let database: TestDatabase;
let server: ServerProcess;
before(async () => {
  database = await createTestDatabase(2);
  server = await startServerProcess(database.url);
});
after(async () => {
  await server.stop();
  await database.drop();
});

test(`a fetch client sending ${BODY_OVER_LIMIT_BYTES} bytes gets the 413 problem in at least ${FETCH_TRIES - FAILURES_ALLOWED} of ${FETCH_TRIES} tries`, async () => {
  const body = Buffer.from(JSON.stringify({ currency: 'USD', external_ref: 'x'.repeat(BODY_OVER_LIMIT_BYTES) }));
  const failures: string[] = [];
  for (let attempt = 0; attempt < FETCH_TRIES; attempt++) {
    try {
      const response = await fetch(`${server.url}/v1/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-service-api-key': TEST_API_KEY },
        body,
      });
      const raw = await response.text();
      const headers = { 'content-type': response.headers.get('content-type') ?? '' };
      assertProblem({ status: response.status, headers, body: JSON.parse(raw), raw }, 413, 'payload_too_large');
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      failures.push(`${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`);
    }
  }
  assert.ok(failures.length <= FAILURES_ALLOWED, `${failures.length} of ${FETCH_TRIES} failed: ${failures.slice(0, 3).join('; ')}`);
});
