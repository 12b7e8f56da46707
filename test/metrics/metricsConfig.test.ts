// Proves how METRICS_PORT is read: a default port outside tests, none in test unless asked for,
// `off` turns metrics off, and anything else stops the process naming it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const TEST_ENV = { ENVIRONMENT: 'test', DATABASE_URL: 'postgres://localhost/ledger' };

test('development has metrics on 9464; test has none unless set', () => {
  assert.equal(loadConfig({}).metricsPort, 9464);
  assert.equal(loadConfig(TEST_ENV).metricsPort, undefined);
  assert.equal(loadConfig({ ...TEST_ENV, METRICS_PORT: '9100' }).metricsPort, 9100);
  assert.equal(loadConfig({ ...TEST_ENV, METRICS_PORT: '0' }).metricsPort, 0);
});

test('off turns them off', () => {
  assert.equal(loadConfig({ METRICS_PORT: 'off' }).metricsPort, undefined);
});

for (const given of ['yes', '70000', '-1']) {
  test(`METRICS_PORT=${given} is refused, naming the variable`, () => {
    assert.throws(() => loadConfig({ METRICS_PORT: given }), (error: unknown) => error instanceof ConfigError && error.message.includes('METRICS_PORT'));
  });
}
