// Proves that a request's W3C traceparent (the caller's, or one made for it) is on every log line of
// that request, is stored with the events it causes, and reaches the consumer as the CloudEvents
// `traceparent` attribute and as a message header, through a dead letter and its replay too.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { newTraceparent, parseTraceparent } from '../../src/http/traceContext.js';
import { TRACEPARENT_HEADER } from '../../src/relay/message.js';
import { moveToDeadLetter } from '../../src/relay/sql/moveToDeadLetter.js';
import { replayDeadLetters } from '../../src/relay/sql/replayDeadLetters.js';
import type { OutboxRelay } from '../../src/relay/relay.js';
import { brokerUrl } from '../support/database.js';
import { newKey, startTestService, type TestService } from '../support/service.js';
import { QueueCollector, relayEnvironment, settingsFrom, startRelay, TEST_TIMEOUT_MS, waitFor } from './relayFixture.js';

const CALLER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

let api: TestService;
let relay: OutboxRelay;
let collector: QueueCollector;
const logLines: Array<Record<string, unknown>> = [];

before(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  api = await startTestService({ LOG_LEVEL: 'info' }, undefined, sink);
  const settings = settingsFrom(relayEnvironment(api.database));
  collector = await QueueCollector.start(brokerUrl(), settings, ['ledger.#']);
  relay = await startRelay(settings);
});

after(async () => {
  await relay.stop();
  await collector.close();
  await api.close();
});

/** The delivered message of an event, by its subject (an account's, a transaction's or a hold's id). */
async function deliveredAbout(subject: string, type: string) {
  let found: { envelope: Record<string, unknown>; headers: Record<string, unknown> } | undefined;
  await waitFor(`${type} about ${subject} delivered`, () => {
    const message = collector.messages.find((candidate) => {
      const envelope = JSON.parse(candidate.content.toString('utf8'));
      return envelope.subject === subject && envelope.type === type;
    });
    if (message) found = { envelope: JSON.parse(message.content.toString('utf8')), headers: message.properties.headers ?? {} };
    return found !== undefined;
  }, 10_000);
  return found!;
}

function linesOf(requestId: string) {
  return logLines.filter((line) => line.reqId === requestId);
}

test("the caller's traceparent is on each log line of its request and on the message its posting causes", { timeout: TEST_TIMEOUT_MS }, async () => {
  const opened = await api.request('POST', '/v1/accounts', { body: { currency: 'USD' }, headers: { traceparent: CALLER } });
  assert.equal(opened.status, 201);
  const deposit = await api.request('POST', '/v1/transactions/deposit', {
    body: { account_id: opened.body.id, amount: '500' }, idempotencyKey: newKey(), headers: { traceparent: CALLER },
  });
  assert.equal(deposit.status, 201);

  for (const response of [opened, deposit]) {
    const lines = linesOf(String(response.headers['x-request-id']));
    assert.ok(lines.length >= 2, 'the request logged its arrival and its answer');
    assert.ok(lines.every((line) => line.traceparent === CALLER), 'every line of the request carries its traceparent');
  }
  // An event stored with its envelope (account.created) and one the relay renders (deposit.posted).
  for (const [subject, type] of [[opened.body.id, 'account.created'], [deposit.body.id, 'deposit.posted']] as const) {
    const delivered = await deliveredAbout(subject, type);
    assert.equal(delivered.envelope.traceparent, CALLER, `${type}: the CloudEvents traceparent attribute`);
    assert.equal(delivered.headers[TRACEPARENT_HEADER], CALLER, `${type}: the message header`);
  }
  const stored = await api.database.pool.query(`SELECT DISTINCT traceparent FROM outbox`);
  assert.deepEqual(stored.rows, [{ traceparent: CALLER }]);
});

test('a request without a traceparent gets one made, the same in its logs and on its message', { timeout: TEST_TIMEOUT_MS }, async () => {
  for (const sent of [undefined, '00-00000000000000000000000000000000-00f067aa0ba902b7-01']) {
    const opened = await api.request('POST', '/v1/accounts', { body: { currency: 'EUR' }, headers: sent ? { traceparent: sent } : {} });
    assert.equal(opened.status, 201);
    const lines = linesOf(String(opened.headers['x-request-id']));
    const made = lines[0]?.traceparent;
    assert.match(String(made), TRACEPARENT);
    assert.notEqual(made, sent, 'an invalid traceparent is replaced');
    assert.ok(lines.every((line) => line.traceparent === made));
    const delivered = await deliveredAbout(opened.body.id, 'account.created');
    assert.equal(delivered.envelope.traceparent, made);
  }
});

test('a dead-lettered event keeps its traceparent when replayed', { timeout: TEST_TIMEOUT_MS }, async () => {
  const traceparent = newTraceparent();
  const client = await api.database.pool.connect();
  try {
    await client.query('BEGIN');
    const row = await client.query<{ id: string }>(
      `INSERT INTO outbox (event_id, event_type, routing_key, payload, traceparent, next_attempt_at)
       VALUES (gen_random_uuid(), 'account.created', 'nowhere.account.created', '{}', $1, now() + interval '1 hour') RETURNING id::text`,
      [traceparent],
    );
    await moveToDeadLetter(client, [{ id: row.rows[0]!.id, error: 'refused' }]);
    const dead = await client.query(`SELECT traceparent FROM dead_letter WHERE id = $1`, [row.rows[0]!.id]);
    assert.equal(dead.rows[0].traceparent, traceparent);
    assert.equal(await replayDeadLetters(client, { all: false, eventIds: [], eventTypes: ['account.created'] }), 1);
    const replayed = await client.query(`SELECT traceparent FROM outbox WHERE id = $1`, [row.rows[0]!.id]);
    assert.equal(replayed.rows[0].traceparent, traceparent);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
});

test('traceparent headers are kept when valid and refused when not', () => {
  assert.equal(parseTraceparent(CALLER), CALLER);
  assert.equal(parseTraceparent(` ${CALLER} `), CALLER);
  // A later version is passed on as version 00, its extra fields dropped.
  assert.equal(parseTraceparent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future'), CALLER);
  for (const invalid of [
    undefined,
    [CALLER, CALLER],
    '',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7',
  ]) {
    assert.equal(parseTraceparent(invalid), undefined, `refused: ${JSON.stringify(invalid)}`);
  }
  assert.match(newTraceparent(), TRACEPARENT);
  assert.notEqual(newTraceparent(), newTraceparent());
});
