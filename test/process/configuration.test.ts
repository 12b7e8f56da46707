// Proves configuration is validated once at start-up: production refuses missing or weak secrets
// and a missing DATABASE_URL with one line naming the variable; bad values name their variable.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEVELOPMENT_API_KEY, defaultPartitions, loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/paths.js';

const STRONG = 'x'.repeat(32);
const PRODUCTION = { ENVIRONMENT: 'production', DATABASE_URL: 'postgres://db/ledger', SERVICE_API_KEY: STRONG, SECRET_KEY: STRONG };

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

test('defaults follow the specification', () => {
  const config = loadConfig({});
  assert.equal(config.environment, 'development');
  assert.equal(config.outboxExchange, 'wallet.events');
  assert.equal(config.outboxExchangeType, 'topic');
  assert.equal(config.outboxRoutingKeyPrefix, 'ledger');
  assert.equal(config.port, 8080);
  assert.equal(config.idempotencyTtlMs, 24 * 3_600_000);
  assert.equal(config.serviceApiKey, DEVELOPMENT_API_KEY);
  assert.equal(config.serviceApiKeyIsDevelopmentDefault, true);
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.partitions, defaultPartitions());
});

test('partitions default to one per two cores, at least one, unless PARTITIONS says otherwise', () => {
  assert.deepEqual([1, 2, 3, 4, 8, 64].map((cores) => defaultPartitions(cores)), [1, 1, 1, 2, 4, 32]);
  assert.equal(loadConfig({ PARTITIONS: '3' }).partitions, 3);
  assert.match(errorOf({ PARTITIONS: '0' }), /PARTITIONS/);
});

test('production needs DATABASE_URL and secrets of at least 32 characters', () => {
  assert.equal(loadConfig(PRODUCTION).serviceApiKey, STRONG);
  const { DATABASE_URL: _, ...noDatabase } = PRODUCTION;
  assert.match(errorOf(noDatabase), /^DATABASE_URL is required/);
  const { SERVICE_API_KEY: __, ...noKey } = PRODUCTION;
  assert.match(errorOf(noKey), /^SERVICE_API_KEY is required/);
  assert.match(errorOf({ ...PRODUCTION, SECRET_KEY: 'short' }), /^SECRET_KEY must be at least 32 characters/);
  assert.match(errorOf({ ...PRODUCTION, SERVICE_API_KEY: 'y'.repeat(31) }), /^SERVICE_API_KEY must be at least 32/);
});

test('a bad value names its variable', () => {
  assert.match(errorOf({ PORT: 'eighty' }), /PORT/);
  assert.match(errorOf({ ENVIRONMENT: 'staging' }), /ENVIRONMENT/);
  assert.match(errorOf({ OUTBOX_EXCHANGE_TYPE: 'weird' }), /OUTBOX_EXCHANGE_TYPE/);
  assert.match(errorOf({ BATCH_MAX: '0' }), /BATCH_MAX/);
});

test('the server process stops with one clear line, and no secret in it', () => {
  const weakKey = 'weak-but-secret-value';
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src/main/server.ts')], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH, ...PRODUCTION, SERVICE_API_KEY: weakKey },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(result.status, 1);
  assert.equal(result.stderr.trim(), 'SERVICE_API_KEY must be at least 32 characters when ENVIRONMENT=production');
  assert.ok(!`${result.stdout}${result.stderr}`.includes(weakKey));
});
