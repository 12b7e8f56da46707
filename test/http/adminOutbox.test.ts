// Proves that the admin outbox API shows the relay's backlog, its oldest event's age and its dead
// letters with their last error; shows a transaction's event (waiting, then dead) with the message
// the relay publishes; replays one dead letter, or all, back into the outbox, logging each replay
// with the request's id; and refuses bad ids and limits (400 naming the field), unknown
// transactions and dead letters (404) and a missing key (401). No relay runs here: events wait.
// The service logs in as a member of wallet_ledger_service only: its grants suffice for all of it.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { moveToDeadLetter } from '../../src/relay/sql/moveToDeadLetter.js';
import { createService, type Service } from '../../src/service.js';
import { createServiceLogin, type ServiceLogin } from '../security/serviceLogin.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { fundedAccount, newKey, TEST_API_KEY, type ApiResponse, type RequestOptions, type TestService } from '../support/service.js';
import { assertInvalidFields, assertProblem, UNKNOWN_ID } from './helpers.js';

let database: TestDatabase;
let login: ServiceLogin;
let service: Service;
let api: TestService;
const logLines: Array<Record<string, unknown>> = [];

before(async () => {
  database = await createTestDatabase();
  login = await createServiceLogin();
  const serviceUrl = login.urlFor(database.url);
  const config = loadConfig({ ENVIRONMENT: 'test', SERVICE_API_KEY: TEST_API_KEY, DATABASE_URL: serviceUrl, LOG_LEVEL: 'info' });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  service = await createService(config, serviceUrl, pino({ level: 'info' }, sink));
  // The shared helpers' request(), against this service, whose log the test reads.
  api = { service, database, config, close: async () => {}, request: injectWith };
});

after(async () => {
  await service?.close();
  await database?.drop();
  await login?.drop();
});

async function injectWith(method: string, url: string, options: RequestOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (!options.anonymous) headers['x-service-api-key'] ??= TEST_API_KEY;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const response = await service.app.inject({ method: method as 'GET', url, headers, payload });
  return { status: response.statusCode, headers: response.headers, body: response.body ? JSON.parse(response.body) : undefined, raw: response.body };
}

/** Deposits into a fresh wallet; returns the transaction's id and its event's id. */
async function deposit(amount: string): Promise<{ transactionId: string; eventId: string }> {
  const wallet = await fundedAccount(api, 'USD', 0n);
  const posted = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: wallet, amount }, idempotencyKey: newKey() });
  assert.equal(posted.status, 201, posted.raw);
  const { rows } = await database.pool.query<{ event_id: string }>('SELECT event_id::text FROM outbox WHERE transaction_id = $1', [posted.body.id]);
  return { transactionId: posted.body.id, eventId: rows[0]!.event_id };
}

/** Moves events to dead_letter as the relay does after their last failed attempt. */
async function killEvents(eventIds: string[], error: string): Promise<void> {
  const client = await database.pool.connect();
  try {
    const { rows } = await client.query<{ id: string }>('SELECT id::text FROM outbox WHERE event_id = ANY($1::uuid[])', [eventIds]);
    assert.equal(await moveToDeadLetter(client, rows.map((row) => ({ id: row.id, error }))), eventIds.length);
  } finally {
    client.release();
  }
}

test('a transaction\'s event is shown waiting, then dead with its error; the outbox shows backlog and dead letters', async () => {
  const { transactionId, eventId } = await deposit('1050');
  const waiting = await api.request('GET', `/v1/admin/transactions/${transactionId.toUpperCase()}/events`);
  assert.equal(waiting.status, 200, waiting.raw);
  assert.equal(waiting.body.transaction_id, transactionId);
  assert.equal(waiting.body.data.length, 1);
  const [event] = waiting.body.data;
  assert.equal(event.event_id, eventId);
  assert.equal(event.event_type, 'deposit.posted');
  assert.equal(event.state, 'pending');
  assert.equal(event.message.id, eventId);
  assert.equal(event.message.subject, transactionId);
  assert.equal(event.message.data.amount, '1050');

  const state = await api.request('GET', '/v1/admin/outbox');
  assert.equal(state.status, 200, state.raw);
  assert.ok(state.body.backlog >= 2, `backlog ${state.body.backlog}: the account opening and the deposit wait`);
  assert.ok(state.body.oldest_age_seconds >= 0);

  await killEvents([eventId], 'NOT_FOUND - no exchange');
  const dead = await api.request('GET', `/v1/admin/transactions/${transactionId}/events`);
  assert.equal(dead.body.data[0].state, 'dead_letter');
  assert.equal(dead.body.data[0].last_error, 'NOT_FOUND - no exchange');
  const listed = (await api.request('GET', '/v1/admin/outbox')).body;
  assert.equal(listed.dead_letter_count, 1);
  assert.deepEqual(
    listed.dead_letters.map((letter: Record<string, unknown>) => [letter.event_id, letter.transaction_id, letter.hold_id, letter.last_error, letter.attempts]),
    [[eventId, transactionId, null, 'NOT_FOUND - no exchange', 1]],
  );
  await api.request('POST', '/v1/admin/dead-letters/replay');
});

test('one dead letter is replayed by its event id, logged with the request id; a second replay is 404', async () => {
  const first = await deposit('1');
  const second = await deposit('2');
  await killEvents([first.eventId, second.eventId], 'nack');
  const replayed = await api.request('POST', `/v1/admin/dead-letters/${first.eventId}/replay`, { headers: { 'x-request-id': 'replay-one-1' } });
  assert.equal(replayed.status, 200, replayed.raw);
  assert.deepEqual(replayed.body, { replayed: 1 });
  const { rows } = await database.pool.query('SELECT attempts FROM outbox WHERE event_id = $1 AND published_at IS NULL', [first.eventId]);
  assert.deepEqual(rows, [{ attempts: 0 }], 'back in the outbox with a fresh attempt budget');
  const still = (await api.request('GET', '/v1/admin/outbox')).body.dead_letters.map((letter: { event_id: string }) => letter.event_id);
  assert.deepEqual(still, [second.eventId]);
  const logged = logLines.find((line) => line.reqId === 'replay-one-1' && /dead letters moved back/.test(String(line.msg)));
  assert.ok(logged, 'the replay is logged with the request id');
  assert.deepEqual(logged.eventIds, [first.eventId]);
  assert.equal(logged.replayed, 1);

  assertProblem(await api.request('POST', `/v1/admin/dead-letters/${first.eventId}/replay`), 404, 'dead_letter_not_found');
  await api.request('POST', '/v1/admin/dead-letters/replay');
});

test('replay all moves every dead letter back and says how many; with none it moves 0', async () => {
  const events = [await deposit('3'), await deposit('4'), await deposit('5')];
  await killEvents(events.map((event) => event.eventId), 'nack');
  const replayed = await api.request('POST', '/v1/admin/dead-letters/replay', { headers: { 'x-request-id': 'replay-all-1' } });
  assert.equal(replayed.status, 200, replayed.raw);
  assert.deepEqual(replayed.body, { replayed: 3 });
  assert.equal((await api.request('GET', '/v1/admin/outbox')).body.dead_letter_count, 0);
  const logged = logLines.find((line) => line.reqId === 'replay-all-1' && line.eventIds === 'all');
  assert.equal(logged?.replayed, 3);
  assert.deepEqual((await api.request('POST', '/v1/admin/dead-letters/replay')).body, { replayed: 0 });
});

test('dead letters are listed most recent first, at most `limit` of them', async () => {
  const events = [await deposit('6'), await deposit('7')];
  await killEvents([events[0]!.eventId], 'first');
  await killEvents([events[1]!.eventId], 'second');
  const page = (await api.request('GET', '/v1/admin/outbox?limit=1')).body;
  assert.equal(page.dead_letter_count, 2);
  assert.deepEqual(page.dead_letters.map((letter: { last_error: string }) => letter.last_error), ['second']);
  await api.request('POST', '/v1/admin/dead-letters/replay');
});

test('bad ids and limits are 400 naming the field; unknown transactions and dead letters are 404', async () => {
  assertInvalidFields(await api.request('GET', '/v1/admin/transactions/not-a-uuid/events'), ['id'], 'path');
  assertInvalidFields(await api.request('POST', '/v1/admin/dead-letters/not-a-uuid/replay'), ['event_id'], 'path');
  for (const limit of ['0', '501', 'abc', '1.5']) {
    assertInvalidFields(await api.request('GET', `/v1/admin/outbox?limit=${limit}`), ['limit'], 'query');
  }
  assertInvalidFields(await api.request('GET', '/v1/admin/outbox?cursor=x'), ['cursor'], 'query');
  assertProblem(await api.request('GET', `/v1/admin/transactions/${UNKNOWN_ID}/events`), 404, 'transaction_not_found');
  assertProblem(await api.request('POST', `/v1/admin/dead-letters/${UNKNOWN_ID}/replay`), 404, 'dead_letter_not_found');
  assertProblem(await api.request('GET', '/v1/admin/no-such-thing'), 404, 'not_found');
});

test('every admin route without the key, or with a wrong one, is 401 and replays nothing', async () => {
  const { eventId, transactionId } = await deposit('8');
  await killEvents([eventId], 'nack');
  const routes: Array<[string, string]> = [
    ['GET', '/v1/admin/accounts?external_ref=a'],
    ['GET', '/v1/admin/outbox'],
    ['GET', `/v1/admin/transactions/${transactionId}/events`],
    ['POST', `/v1/admin/dead-letters/${eventId}/replay`],
    ['POST', '/v1/admin/dead-letters/replay'],
    ['GET', '/v1/admin/no-such-thing'],
  ];
  for (const [method, url] of routes) {
    assertProblem(await api.request(method, url, { anonymous: true }), 401, 'unauthorized');
    assertProblem(await api.request(method, url, { headers: { 'x-service-api-key': `${TEST_API_KEY}x` } }), 401, 'unauthorized');
  }
  assert.equal((await api.request('GET', '/v1/admin/outbox')).body.dead_letter_count, 1, 'nothing was replayed');
});
