// Proves that BROKER_URL takes one URL or a comma-separated list; that each bad entry is a start-up
// error naming BROKER_URL and never the entry's password (the worker process exits with that one
// line); that the relay connects to the first broker that answers, tries the list in turn and waits
// its backoff only after every URL failed in a row; and that its log names brokers without credentials.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { brokerAddress } from '../../src/relay/brokerAddress.js';
import { BrokerConnector } from '../../src/relay/brokerConnector.js';
import { brokerUrl } from '../support/database.js';
import { freePort } from '../support/freePort.js';
import { waitFor } from './relayFixture.js';

const PASSWORD = 'broker-password-never-printed';
/** The connector's backoff starts here (RECONNECT_BACKOFF.baseMs): a whole round of failures waits at least this long. */
const BACKOFF_FLOOR_MS = 200;

function errorOf(value: string): string {
  try {
    loadConfig({ BROKER_URL: value });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail(`expected BROKER_URL=${value} to be refused`);
}

test('BROKER_URL is one URL or a comma-separated list of them, trimmed, in order', () => {
  assert.deepEqual(loadConfig({}).brokerUrls, ['amqp://guest:guest@127.0.0.1:5672']);
  assert.deepEqual(loadConfig({ BROKER_URL: 'amqps://ledger:pw@rabbit.internal:5671/ledger' }).brokerUrls, ['amqps://ledger:pw@rabbit.internal:5671/ledger']);
  const cluster = 'amqp://u:p@rabbit-1:5672, amqp://u:p@rabbit-2:5672 ,amqps://u:p@rabbit-3:5671';
  assert.deepEqual(loadConfig({ BROKER_URL: cluster }).brokerUrls, ['amqp://u:p@rabbit-1:5672', 'amqp://u:p@rabbit-2:5672', 'amqps://u:p@rabbit-3:5671']);
});

test('each bad BROKER_URL entry is refused with a message naming BROKER_URL and the entry, without its password', () => {
  const good = `amqp://ledger:${PASSWORD}@rabbit-1:5672`;
  const cases: Array<[string, string]> = [
    [`${good},`, 'BROKER_URL entry 2 of 2 is empty (check its commas and spaces)'],
    [`${good}, ,${good}`, 'BROKER_URL entry 2 of 3 is empty (check its commas and spaces)'],
    [`${good},rabbit-2:5672 ${PASSWORD}`, 'BROKER_URL entry 2 of 2 must start with amqp:// or amqps://, not rabbit-2://'],
    [`${good},//ledger:${PASSWORD}@rabbit-2`, 'BROKER_URL entry 2 of 2 is not a URL; expected amqp://user:password@host:port or amqps://...'],
    [`http://ledger:${PASSWORD}@rabbit-1:5672`, 'BROKER_URL must start with amqp:// or amqps://, not http://'],
    [`amqp://ledger:${PASSWORD}@`, 'BROKER_URL is not a URL; expected amqp://user:password@host:port or amqps://...'],
    ['amqp:///ledger', 'BROKER_URL names no host'],
    [`${good},amqp:rabbit-2`, 'BROKER_URL entry 2 of 2 names no host'],
    [`amqp://ledger:${PASSWORD}@[::1`, 'BROKER_URL is not a URL; expected amqp://user:password@host:port or amqps://...'],
    [Array.from({ length: 17 }, () => good).join(','), 'BROKER_URL holds at most 16 URLs separated by a comma'],
  ];
  for (const [value, message] of cases) assert.equal(errorOf(value), message, value);
});

test('the relay process refuses a bad BROKER_URL entry at start with that one line', async () => {
  const environment = {
    PATH: process.env.PATH,
    ENVIRONMENT: 'test',
    DATABASE_URL: 'postgres://ledger@127.0.0.1:1/ledger',
    BROKER_URL: `amqp://ledger:${PASSWORD}@rabbit-1:5672,http://ledger:${PASSWORD}@rabbit-2`,
  };
  const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const entry = path.join(PROJECT_ROOT, 'src/main/outboxWorker.ts');
    execFile(process.execPath, ['--import', 'tsx', entry], { cwd: PROJECT_ROOT, env: environment, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr: stderr.trim() });
    });
  });
  assert.equal(result.status, 1);
  assert.equal(result.stderr, 'BROKER_URL entry 2 of 2 must start with amqp:// or amqps://, not http://');
  assert.ok(!`${result.stdout}${result.stderr}`.includes(PASSWORD));
});

test('a broker is named by its protocol, host, port and virtual host, never its credentials or query', () => {
  assert.equal(brokerAddress(`amqps://ledger:${PASSWORD}@rabbit-1.internal:5671/ledger?heartbeat=5`), 'amqps://rabbit-1.internal:5671/ledger');
  assert.equal(brokerAddress('amqp://guest:guest@127.0.0.1:5672'), 'amqp://127.0.0.1:5672');
  assert.equal(brokerAddress('amqp://127.0.0.1:5672/'), 'amqp://127.0.0.1:5672');
});

interface LogLine {
  time: number;
  msg: string;
  broker?: string;
}

function capturedLogger(): { lines: LogLine[]; text: () => string; log: ReturnType<typeof createLogger> } {
  let text = '';
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { lines, text: () => text, log: createLogger('info', 'relay', destination) };
}

test('the relay skips a broker that does not answer and connects to the next one in the list', async () => {
  const deadUrl = `amqp://ledger:${PASSWORD}@127.0.0.1:${await freePort()}`;
  const captured = capturedLogger();
  const connected: string[] = [];
  const connector = new BrokerConnector([deadUrl, brokerUrl()], 'broker-urls-test', captured.log, {
    setup: async () => {},
    onConnected: (_model, address) => connected.push(address),
    onLost: () => {},
  });
  try {
    connector.start();
    await waitFor('a connection', () => connected.length > 0, 30_000);
    assert.deepEqual(connected, [brokerAddress(brokerUrl())]);
    const messages = captured.lines.map((line) => `${line.msg} ${line.broker}`);
    assert.deepEqual(messages, [`broker connect failed ${brokerAddress(deadUrl)}`, `broker connected ${brokerAddress(brokerUrl())}`]);
    assert.ok(!captured.text().includes(PASSWORD));
  } finally {
    await connector.stop();
  }
});

test('with no broker answering, the relay tries each URL in turn and backs off only after a whole round', async () => {
  const urls = [`amqp://127.0.0.1:${await freePort()}`, `amqp://127.0.0.1:${await freePort()}`];
  const captured = capturedLogger();
  const connector = new BrokerConnector(urls, 'broker-urls-test', captured.log, { setup: async () => {}, onConnected: () => {}, onLost: () => {} });
  try {
    connector.start();
    await waitFor('two rounds of failed connects', () => captured.lines.length >= 4, 30_000);
  } finally {
    await connector.stop();
  }
  const [first, second, third, fourth] = captured.lines as [LogLine, LogLine, LogLine, LogLine];
  assert.deepEqual([first, second, third, fourth].map((line) => line.broker), [...urls, ...urls].map(brokerAddress));
  assert.ok(second.time - first.time < BACKOFF_FLOOR_MS, `the second URL is tried at once (${second.time - first.time} ms)`);
  assert.ok(third.time - second.time >= BACKOFF_FLOOR_MS, `a failed round waits the backoff (${third.time - second.time} ms)`);
  assert.ok(fourth.time - third.time < BACKOFF_FLOOR_MS, `the next round again tries its second URL at once (${fourth.time - third.time} ms)`);
});
