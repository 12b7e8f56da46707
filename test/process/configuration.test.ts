// Proves configuration fails closed, validated once at start-up: DATABASE_URL needs ENVIRONMENT,
// production (service and relay alike) refuses a missing, published, short, repetitive or reused
// secret with one line naming the variable, two API keys may be set while rotating, development
// alone listens on 127.0.0.1 with the published key, reads stay on the primary unless
// DATABASE_READ_URL is set, and bad values name their variable.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEVELOPMENT_API_KEY, defaultPartitions, loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { createTestDatabase } from '../support/database.js';

const API_KEY = 'api-key-0123456789abcdefghijklmnop';
const NEXT_API_KEY = 'next-api-key-0123456789abcdefghijk';
const SECRET = 'secret-key-0123456789abcdefghijklm';
const PRODUCTION = { ENVIRONMENT: 'production', DATABASE_URL: 'postgres://db/ledger', SERVICE_API_KEY: API_KEY, SECRET_KEY: SECRET };

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

/** A start that has not refused within this is killed (a process that started would never exit). */
const PROCESS_TIMEOUT_MS = 120_000;

/** Runs an entry point as users do (its own process); resolves with its exit status and output. */
function run(entry: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const options = { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH, ...env }, timeout: PROCESS_TIMEOUT_MS, killSignal: 'SIGKILL' as const };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, entry)], options, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ status, stdout, stderr: stderr.trim() });
    });
  });
}

test('defaults follow the specification; without DATABASE_URL and ENVIRONMENT it is development', () => {
  const config = loadConfig({});
  assert.equal(config.environment, 'development');
  assert.equal(config.outboxExchange, 'wallet.events');
  assert.equal(config.outboxExchangeType, 'topic');
  assert.equal(config.outboxRoutingKeyPrefix, 'ledger');
  assert.equal(config.port, 8080);
  assert.equal(config.idempotencyTtlMs, 24 * 3_600_000);
  assert.deepEqual(config.serviceApiKeys, [DEVELOPMENT_API_KEY]);
  assert.equal(config.serviceApiKeyIsDevelopmentDefault, true);
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.partitions, defaultPartitions());
});

test('partitions default to one per two cores, at least one, unless PARTITIONS says otherwise', () => {
  assert.deepEqual([1, 2, 3, 4, 8, 64].map((cores) => defaultPartitions(cores)), [1, 1, 1, 2, 4, 32]);
  assert.equal(loadConfig({ PARTITIONS: '3' }).partitions, 3);
  assert.match(errorOf({ PARTITIONS: '0' }), /PARTITIONS/);
});

test('DATABASE_URL without ENVIRONMENT is refused instead of running as development', () => {
  const message = 'ENVIRONMENT is required when DATABASE_URL is set (development, test or production)';
  assert.equal(errorOf({ DATABASE_URL: 'postgres://db/ledger' }), message);
  assert.equal(errorOf({ DATABASE_URL: 'postgres://db/ledger', SERVICE_API_KEY: API_KEY }), message);
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://db/ledger', ENVIRONMENT: 'development' }).environment, 'development');
});

test('development alone listens on 127.0.0.1 by default and falls back to the published key', () => {
  assert.equal(loadConfig({}).host, '127.0.0.1');
  assert.equal(loadConfig({ ENVIRONMENT: 'test', DATABASE_URL: 'postgres://db/ledger' }).host, '127.0.0.1');
  assert.equal(loadConfig(PRODUCTION).host, '0.0.0.0');
  assert.equal(loadConfig({ ...PRODUCTION, HOST: '10.0.0.7' }).host, '10.0.0.7');
  assert.equal(loadConfig({ HOST: '0.0.0.0' }).host, '0.0.0.0');
  // The test environment has no development defaults: no embedded database, no published key.
  assert.equal(errorOf({ ENVIRONMENT: 'test' }), 'DATABASE_URL is required when ENVIRONMENT=test');
  const test = loadConfig({ ENVIRONMENT: 'test', DATABASE_URL: 'postgres://db/ledger' });
  assert.deepEqual(test.serviceApiKeys, []);
  assert.equal(test.serviceApiKeyIsDevelopmentDefault, false);
});

test('production needs DATABASE_URL, SERVICE_API_KEY and SECRET_KEY', () => {
  assert.deepEqual(loadConfig(PRODUCTION).serviceApiKeys, [API_KEY]);
  const { DATABASE_URL: _, ...noDatabase } = PRODUCTION;
  assert.equal(errorOf(noDatabase), 'DATABASE_URL is required when ENVIRONMENT=production');
  const { SERVICE_API_KEY: __, ...noKey } = PRODUCTION;
  assert.equal(errorOf(noKey), 'SERVICE_API_KEY is required when ENVIRONMENT=production');
  const { SECRET_KEY: ___, ...noSecret } = PRODUCTION;
  assert.equal(errorOf(noSecret), 'SECRET_KEY is required when ENVIRONMENT=production');
});

test('production refuses the published key, short or repetitive secrets, and one secret for both', () => {
  const refusals: Array<[Record<string, string>, string]> = [
    [{ SERVICE_API_KEY: DEVELOPMENT_API_KEY }, 'SERVICE_API_KEY is the published development key; set a secret one when ENVIRONMENT=production'],
    [{ SECRET_KEY: DEVELOPMENT_API_KEY }, 'SECRET_KEY is the published development key; set a secret one when ENVIRONMENT=production'],
    [{ SERVICE_API_KEY: ' '.repeat(32) }, 'SERVICE_API_KEY has an empty key (check its commas and spaces)'],
    [{ SERVICE_API_KEY: `  ${API_KEY.slice(0, 31)}  ` }, 'SERVICE_API_KEY must be at least 32 characters when ENVIRONMENT=production'],
    [{ SECRET_KEY: `${SECRET.slice(0, 31)}\t ` }, 'SECRET_KEY must be at least 32 characters when ENVIRONMENT=production'],
    [{ SERVICE_API_KEY: 'abcdefghijklmno'.repeat(3) }, 'SERVICE_API_KEY must have at least 16 different characters when ENVIRONMENT=production'],
    [{ SECRET_KEY: 'x'.repeat(64) }, 'SECRET_KEY must have at least 16 different characters when ENVIRONMENT=production'],
    [{ SECRET_KEY: API_KEY }, 'SERVICE_API_KEY must differ from SECRET_KEY when ENVIRONMENT=production'],
    [{ SERVICE_API_KEY: `${NEXT_API_KEY},${SECRET}` }, 'SERVICE_API_KEY must differ from SECRET_KEY when ENVIRONMENT=production'],
    [{ SERVICE_API_KEY: `${API_KEY},${DEVELOPMENT_API_KEY}` }, 'SERVICE_API_KEY is the published development key; set a secret one when ENVIRONMENT=production'],
    [{ SERVICE_API_KEY: `${API_KEY},short` }, 'SERVICE_API_KEY must be at least 32 characters when ENVIRONMENT=production'],
  ];
  for (const [change, message] of refusals) assert.equal(errorOf({ ...PRODUCTION, ...change }), message, JSON.stringify(change));
});

test('SERVICE_API_KEY may hold the current and the next key, comma-separated, in every environment', () => {
  assert.deepEqual(loadConfig({ ...PRODUCTION, SERVICE_API_KEY: `${API_KEY}, ${NEXT_API_KEY}` }).serviceApiKeys, [API_KEY, NEXT_API_KEY]);
  assert.deepEqual(loadConfig({ SERVICE_API_KEY: 'a,b' }).serviceApiKeys, ['a', 'b']);
  assert.equal(errorOf({ SERVICE_API_KEY: 'a,b,c' }), 'SERVICE_API_KEY holds at most 2 keys separated by a comma (the current and the next)');
  assert.equal(errorOf({ SERVICE_API_KEY: 'a,' }), 'SERVICE_API_KEY has an empty key (check its commas and spaces)');
});

test('holds default to at most 720 hours ahead, 168 hours when not asked, swept every second; the default fits the maximum', () => {
  const config = loadConfig({});
  assert.deepEqual(config.holds, { ttlMaxMs: 720 * 3_600_000, ttlDefaultMs: 168 * 3_600_000, sweepIntervalMs: 1_000 });
  assert.deepEqual(loadConfig({ HOLD_TTL_MAX_HOURS: '2', HOLD_TTL_DEFAULT_HOURS: '1.5', HOLD_SWEEP_INTERVAL_MS: '200' }).holds,
    { ttlMaxMs: 2 * 3_600_000, ttlDefaultMs: 1.5 * 3_600_000, sweepIntervalMs: 200 });
  assert.match(errorOf({ HOLD_TTL_MAX_HOURS: '100' }), /HOLD_TTL_DEFAULT_HOURS must not be greater than HOLD_TTL_MAX_HOURS/);
  assert.match(errorOf({ HOLD_SWEEP_INTERVAL_MS: '5000' }), /HOLD_SWEEP_INTERVAL_MS/);
});

test('reads use the primary unless DATABASE_READ_URL is set; the lag and wait bounds default to 1000 and 200 ms and name themselves when bad', () => {
  assert.deepEqual(loadConfig({}).reads, { replicaUrl: undefined, maxLagMs: 1_000, positionWaitMs: 200 });
  const replica = { DATABASE_READ_URL: 'postgres://replica/ledger', READ_MAX_LAG_MS: '250', READ_POSITION_WAIT_MS: '0' };
  assert.deepEqual(loadConfig(replica).reads, { replicaUrl: 'postgres://replica/ledger', maxLagMs: 250, positionWaitMs: 0 });
  assert.match(errorOf({ READ_MAX_LAG_MS: '-1' }), /READ_MAX_LAG_MS/);
  assert.match(errorOf({ READ_MAX_LAG_MS: 'soon' }), /READ_MAX_LAG_MS/);
  assert.match(errorOf({ READ_POSITION_WAIT_MS: '10001' }), /READ_POSITION_WAIT_MS/);
});

test('a bad value names its variable', () => {
  assert.match(errorOf({ PORT: 'eighty' }), /PORT/);
  assert.match(errorOf({ ENVIRONMENT: 'staging' }), /ENVIRONMENT/);
  assert.match(errorOf({ OUTBOX_EXCHANGE_TYPE: 'weird' }), /OUTBOX_EXCHANGE_TYPE/);
  assert.match(errorOf({ BATCH_MAX: '0' }), /BATCH_MAX/);
});

test('the server and the relay refuse a weak production secret with one line, and no secret in it', async () => {
  const weakKey = 'weak-but-secret-value';
  const [serverWeak, relayWeak, serverReused, relayPublished] = await Promise.all([
    run('src/main/server.ts', { ...PRODUCTION, SERVICE_API_KEY: weakKey }),
    run('src/main/outboxWorker.ts', { ...PRODUCTION, SERVICE_API_KEY: weakKey }),
    run('src/main/server.ts', { ...PRODUCTION, SECRET_KEY: API_KEY }),
    run('src/main/outboxWorker.ts', { ...PRODUCTION, SERVICE_API_KEY: DEVELOPMENT_API_KEY }),
  ]);
  for (const result of [serverWeak, relayWeak]) {
    assert.equal(result.status, 1, result.stdout);
    assert.equal(result.stderr, 'SERVICE_API_KEY must be at least 32 characters when ENVIRONMENT=production');
    assert.ok(!`${result.stdout}${result.stderr}`.includes(weakKey));
  }
  assert.equal(serverReused.status, 1, serverReused.stdout);
  assert.equal(serverReused.stderr, 'SERVICE_API_KEY must differ from SECRET_KEY when ENVIRONMENT=production');
  assert.equal(relayPublished.status, 1, relayPublished.stdout);
  assert.match(relayPublished.stderr, /^SERVICE_API_KEY is the published development key/);
});

test('a server on a real database refuses to start without ENVIRONMENT, or in test without SERVICE_API_KEY', async () => {
  const database = await createTestDatabase(1);
  try {
    const [noEnvironment, noKey] = await Promise.all([
      run('src/main/server.ts', { DATABASE_URL: database.url, PORT: '0' }),
      run('src/main/server.ts', { ENVIRONMENT: 'test', DATABASE_URL: database.url, PORT: '0' }),
    ]);
    assert.equal(noEnvironment.status, 1, noEnvironment.stdout);
    assert.equal(noEnvironment.stderr, 'ENVIRONMENT is required when DATABASE_URL is set (development, test or production)');
    assert.doesNotMatch(noEnvironment.stdout, /listening/);
    // The test environment has no published key to fall back on.
    assert.equal(noKey.status, 1, noKey.stdout);
    assert.equal(noKey.stderr, 'SERVICE_API_KEY is required when ENVIRONMENT=test');
  } finally {
    await database.drop();
  }
});
