// Proves the HTTP server limits are settings with sane defaults (a headers timeout of at most 20 s),
// and that a bad value, or a headers timeout longer than the request timeout, is refused at start-up
// with one line naming the variable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const HEADERS_TIMEOUT_DEFAULT_MAX_MS = 20_000;

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

test('defaults: headers 10 s, request 30 s, keep-alive 72 s, 1000 connections', () => {
  const { http } = loadConfig({});
  assert.deepEqual(http, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000, connectionsMax: 1_000 });
  assert.ok(http.headersTimeoutMs <= HEADERS_TIMEOUT_DEFAULT_MAX_MS);
});

test('each limit is read from its variable', () => {
  const { http } = loadConfig({
    HTTP_HEADERS_TIMEOUT_MS: '1500',
    HTTP_REQUEST_TIMEOUT_MS: '2500',
    HTTP_KEEP_ALIVE_TIMEOUT_MS: '3500',
    HTTP_CONNECTIONS_MAX: '45',
  });
  assert.deepEqual(http, { headersTimeoutMs: 1_500, requestTimeoutMs: 2_500, keepAliveTimeoutMs: 3_500, connectionsMax: 45 });
});

test('a bad value names its variable', () => {
  assert.match(errorOf({ HTTP_HEADERS_TIMEOUT_MS: 'soon' }), /HTTP_HEADERS_TIMEOUT_MS/);
  assert.match(errorOf({ HTTP_REQUEST_TIMEOUT_MS: '0' }), /HTTP_REQUEST_TIMEOUT_MS/);
  assert.match(errorOf({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '-1' }), /HTTP_KEEP_ALIVE_TIMEOUT_MS/);
  assert.match(errorOf({ HTTP_CONNECTIONS_MAX: '0' }), /HTTP_CONNECTIONS_MAX/);
});

test('a headers timeout longer than the request timeout is refused', () => {
  assert.equal(
    errorOf({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '4000' }),
    'HTTP_HEADERS_TIMEOUT_MS must not be greater than HTTP_REQUEST_TIMEOUT_MS',
  );
});
