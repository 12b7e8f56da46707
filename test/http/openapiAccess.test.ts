// Proves that with ENVIRONMENT=production the OpenAPI document and every part of Swagger UI answer
// 401 problem+json without X-Service-Api-Key (the API's shape is not public) and are served with
// it, and that in development they are served without a key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, TEST_API_KEY, type TestService } from '../support/service.js';
import { assertProblem } from './helpers.js';

const PRODUCTION_SECRET_KEY = 'production-test-secret-key-0123456789abcdef';
/** The document, Swagger UI's page and its assets, and Swagger UI's own copy of the document. */
const DOCS_PATHS = ['/openapi.json', '/docs', '/docs/', '/docs/static/index.html', '/docs/static/swagger-ui.css', '/docs/json', '/docs/yaml', '/openapi.json?x=1'];

describe('API description in production', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService({ ENVIRONMENT: 'production', SECRET_KEY: PRODUCTION_SECRET_KEY });
  });
  after(() => api.close());

  test('without X-Service-Api-Key, the document and Swagger UI answer 401 problem+json', async () => {
    for (const path of DOCS_PATHS) {
      for (const method of ['GET', 'HEAD']) {
        const response = await api.request(method, path, { anonymous: true });
        if (method === 'GET') assertProblem(response, 401, 'unauthorized');
        else assert.equal(response.status, 401, `HEAD ${path}`);
      }
      assertProblem(await api.request('GET', path, { headers: { 'x-service-api-key': `${TEST_API_KEY}x` } }), 401, 'unauthorized');
    }
  });

  test('a percent-encoded path to the document needs the key too', async () => {
    assertProblem(await api.request('GET', '/%6Fpenapi.json', { anonymous: true }), 401, 'unauthorized');
    assertProblem(await api.request('GET', '/%64ocs/json', { anonymous: true }), 401, 'unauthorized');
  });

  test('with the key, the document and Swagger UI are served', async () => {
    const document = await api.request('GET', '/openapi.json');
    assert.equal(document.status, 200);
    assert.match(document.body.openapi, /^3\./);
    const page = await api.request('GET', '/docs/');
    assert.equal(page.status, 200);
    assert.match(page.raw, /swagger-ui/i);
    assert.equal((await api.request('GET', '/docs/json')).status, 200);
  });

  test('health checks stay open for probes', async () => {
    assert.equal((await api.request('GET', '/healthz', { anonymous: true })).status, 200);
    assert.equal((await api.request('GET', '/readyz', { anonymous: true })).status, 200);
  });
});

describe('API description in development', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService({ ENVIRONMENT: 'development' });
  });
  after(() => api.close());

  test('the document and Swagger UI are served without a key', async () => {
    for (const path of ['/openapi.json', '/docs', '/docs/', '/docs/json']) {
      const response = await api.request('GET', path, { anonymous: true });
      assert.equal(response.status, 200, `${path}: ${response.raw.slice(0, 200)}`);
    }
  });
});
