// Proves that /console serves the operator console's files (the page, its CSS and ES modules) with
// headers that keep it to its own scripts, unframed and uncached; that no other path under
// /console/ reaches the disk; that CONSOLE_ENABLED defaults to on outside production and off in
// it, where /console is then 404 while the /v1/admin API still answers behind the key.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { CONSOLE_DIR } from '../../src/http/routes/console.js';
import { assertProblem } from '../http/helpers.js';
import { startTestService, type TestService } from '../support/service.js';

const PRODUCTION = {
  ENVIRONMENT: 'production',
  DATABASE_URL: 'postgres://ledger@db.internal/ledger',
  SERVICE_API_KEY: 'production-api-key-0123456789abcdefghij',
  SECRET_KEY: 'production-secret-0123456789abcdefghij',
};

describe('CONSOLE_ENABLED', () => {
  test('defaults to on in development and test, off in production; true or false sets it', () => {
    assert.equal(loadConfig({}).consoleEnabled, true);
    assert.equal(loadConfig({ ENVIRONMENT: 'test', DATABASE_URL: 'postgres://x/y' }).consoleEnabled, true);
    assert.equal(loadConfig(PRODUCTION).consoleEnabled, false);
    assert.equal(loadConfig({ ...PRODUCTION, CONSOLE_ENABLED: 'true' }).consoleEnabled, true);
    assert.equal(loadConfig({ CONSOLE_ENABLED: 'false' }).consoleEnabled, false);
  });

  test('anything but a boolean is refused, naming the variable', () => {
    assert.throws(() => loadConfig({ CONSOLE_ENABLED: 'maybe' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /CONSOLE_ENABLED/);
      return true;
    });
  });
});

describe('the console enabled', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  test('/console redirects to /console/, which is the page, with no key needed', async () => {
    const bare = await api.request('GET', '/console', { anonymous: true });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.location, '/console/');
    const page = await api.request('GET', '/console/', { anonymous: true });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.raw, /<script type="module" src="console.js">/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'.*frame-ancestors 'none'/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.headers['cache-control'], 'no-cache');
  });

  test('every file of console/ is served with its type', async () => {
    const files = await readdir(CONSOLE_DIR);
    assert.ok(files.includes('index.html') && files.includes('console.js'));
    for (const file of files) {
      const response = await api.request('GET', `/console/${file}`, { anonymous: true });
      assert.equal(response.status, 200, file);
      const expected = file.endsWith('.js') ? /^(text|application)\/javascript/ : file.endsWith('.css') ? /^text\/css/ : /^text\/html/;
      assert.match(String(response.headers['content-type']), expected, file);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', file);
    }
  });

  test('paths that name no file of console/ are 404 problems, never a file from elsewhere', async () => {
    for (const url of ['/console/nothing.js', '/console/../package.json', '/console/%2e%2e/package.json', '/console/..%2fpackage.json', '/console/sub/']) {
      assertProblem(await api.request('GET', url, { anonymous: true }), 404, 'not_found');
    }
  });
});

describe('the console disabled', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService({ CONSOLE_ENABLED: 'false' });
  });
  after(() => api.close());

  test('/console and its files are 404; the admin API still answers, behind the key', async () => {
    for (const url of ['/console', '/console/', '/console/console.js']) {
      assertProblem(await api.request('GET', url, { anonymous: true }), 404, 'not_found');
    }
    assert.equal((await api.request('GET', '/v1/admin/outbox')).status, 200);
    assertProblem(await api.request('GET', '/v1/admin/outbox', { anonymous: true }), 401, 'unauthorized');
  });
});
