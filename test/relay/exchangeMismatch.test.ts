// Proves that a relay finding its exchange already declared on the real broker with other
// arguments (406 PRECONDITION_FAILED) logs one error line naming the exchange and the argument,
// with what it declares and what the broker holds, stops retrying, and that the worker process
// exits non-zero within seconds, leaving the outbox rows unpublished for a corrected relay.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { PROJECT_ROOT } from '../../src/paths.js';
import { createLogger } from '../../src/logger.js';
import { OutboxRelay } from '../../src/relay/relay.js';
import { brokerUrl, createTestDatabase, type TestDatabase } from '../support/database.js';
import { countUnpublished, delay, insertEvents, relayEnvironment, settingsFrom, waitFor, TEST_TIMEOUT_MS } from './relayFixture.js';

/** Start-up through tsx included, on a busy CI machine; the relay itself gives up at its first connect. */
const EXIT_WITHIN_MS = 30_000;
/** sysexits' EX_CONFIG, which src/main/outboxWorker.ts exits with. */
const EXIT_BROKER_REFUSED = 78;
/** pino's number for the error level. */
const PINO_ERROR = 50;

let database: TestDatabase;
let broker: ChannelModel;
let channel: Channel;

before(async () => {
  database = await createTestDatabase();
  broker = await connect(brokerUrl());
  channel = await broker.createChannel();
});

after(async () => {
  await broker.close();
  await database.drop();
});

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

function parseLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

test('the worker process logs one error naming the exchange and its type, then exits non-zero', { timeout: TEST_TIMEOUT_MS }, async () => {
  const environment = relayEnvironment(database, { LOG_LEVEL: 'info', OUTBOX_EXCHANGE_TYPE: 'topic' });
  const exchange = environment.OUTBOX_EXCHANGE!;
  await channel.assertExchange(exchange, 'fanout', { durable: true });
  await insertEvents(database.pool, 3);
  try {
    const worker = spawn(process.execPath, ['--import', 'tsx', 'src/main/outboxWorker.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout!.on('data', (chunk) => (output += chunk));
    worker.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    const outcome = await Promise.race([exited, delay(EXIT_WITHIN_MS).then(() => 'still running' as const)]);
    if (outcome === 'still running') worker.kill('SIGKILL');
    assert.equal(outcome, EXIT_BROKER_REFUSED, `the worker should exit ${EXIT_BROKER_REFUSED}; output:\n${output}`);

    const errors = parseLines(output).filter((line) => line.level >= PINO_ERROR);
    assert.equal(errors.length, 1, output);
    const [error] = errors as [LogLine];
    assert.match(error.msg, new RegExp(`exchange '${exchange.replace(/\./g, '\\.')}' .*'type'`));
    assert.equal(error.exchange, exchange);
    assert.equal(error.argument, 'type');
    assert.equal(error.relay_declares, "type 'topic'");
    assert.match(String(error.broker_says), /inequivalent arg 'type'.*current is 'fanout'/);
    assert.ok(!/broker connect failed/.test(output), `no retry after the refusal:\n${output}`);
    assert.equal(await countUnpublished(database.pool), 3);
  } finally {
    await channel.deleteExchange(exchange);
  }
});

test('an in-process relay reports the mismatched alternate-exchange once and stops reconnecting', { timeout: TEST_TIMEOUT_MS }, async () => {
  const settings = settingsFrom(relayEnvironment(database));
  await channel.assertExchange(settings.exchange, settings.exchangeType, { durable: true });
  let output = '';
  const destination = new Writable({
    write(chunk, _encoding, done) {
      output += chunk;
      done();
    },
  });
  const log = createLogger('debug', 'relay', destination);
  const refusals: string[] = [];
  const relay = new OutboxRelay(settings, log, { onBrokerRefused: (error) => refusals.push(error.message) });
  try {
    await relay.start();
    await waitFor('the refusal', () => refusals.length > 0, EXIT_WITHIN_MS);
    // A relay that kept retrying would log a failed connect well within this (its delays start at 200 ms).
    await delay(1_500);
    assert.equal(refusals.length, 1);
    assert.match(refusals[0]!, /'alternate-exchange'/);
    const lines = parseLines(output);
    const errors = lines.filter((line) => line.level >= PINO_ERROR);
    assert.equal(errors.length, 1, output);
    assert.equal(errors[0]!.argument, 'alternate-exchange');
    assert.equal(errors[0]!.relay_declares, `alternate-exchange '${settings.exchange}.unrouted'`);
    assert.match(String(errors[0]!.broker_says), /inequivalent arg 'alternate-exchange'/);
    assert.ok(!lines.some((line) => /broker connect(ed| failed)/.test(line.msg)), output);
  } finally {
    await relay.stop();
    await channel.deleteExchange(settings.exchange);
  }
});
