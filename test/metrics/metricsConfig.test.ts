// Proves how METRICS_PORT (and RELAY_METRICS_PORT alike) is read: a default port outside tests, none in test unless asked for,
// `off` turns metrics off, and anything else stops the process naming it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const TEST_ENV = { ENVIRONMENT: 'test', DATABASE_URL: 'postgres://localhost/ledger' };

test('development has metrics on 9464 and the relay on 9465; test has none unless set', () => {
  assert.equal(loadConfig({}).metricsPort, 9464);
  assert.equal(loadConfig({}).relayMetricsPort, 9465);
  assert.equal(loadConfig(TEST_ENV).metricsPort, undefined);
  assert.equal(loadConfig(TEST_ENV).relayMetricsPort, undefined);
  assert.equal(loadConfig({ ...TEST_ENV, RELAY_METRICS_PORT: '9200' }).relayMetricsPort, 9200);
  assert.equal(loadConfig({ ...TEST_ENV, METRICS_PORT: '9100' }).metricsPort, 9100);
  assert.equal(loadConfig({ ...TEST_ENV, METRICS_PORT: '0' }).metricsPort, 0);
});

test('off turns them off', () => {
  assert.equal(loadConfig({ METRICS_PORT: 'off' }).metricsPort, undefined);
  assert.equal(loadConfig({ RELAY_METRICS_PORT: 'off' }).relayMetricsPort, undefined);
});

for (const [name, given] of [['METRICS_PORT', 'yes'], ['METRICS_PORT', '70000'], ['RELAY_METRICS_PORT', '-1']] as const) {
  test(`${name}=${given} is refused, naming the variable`, () => {
    assert.throws(() => loadConfig({ [name]: given }), (error: unknown) => error instanceof ConfigError && error.message.includes(name));
  });
}
