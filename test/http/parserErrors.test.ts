// Proves that requests Node's HTTP parser refuses (Content-Length with Transfer-Encoding, an
// unknown method, bare-LF line endings, headers over the limit), paths that leave the API docs'
// static folder, and a Content-Encoding the service does not decode are all answered with RFC 9457
// problem details naming what is wrong, never Fastify's default JSON and never a 500.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startTestService, TEST_API_KEY, type TestService } from '../support/service.js';
import { assertProblem } from './helpers.js';
import { parseResponse, sendRaw } from './rawClient.js';

const HEADER_BYTES_OVER_LIMIT = 20 * 1024;

describe('requests refused by the HTTP parser', () => {
  let api: TestService;
  let port: number;
  before(async () => {
    api = await startTestService();
    await api.service.app.listen({ port: 0, host: '127.0.0.1' });
    port = (api.service.app.server.address() as AddressInfo).port;
  });
  after(() => api.close());

  async function refused(request: string) {
    const exchange = await sendRaw(port, request);
    assert.equal(exchange.stillOpen, false, 'the connection is closed after the answer');
    return parseResponse(exchange.received);
  }

  function assertNamedField(response: ReturnType<typeof parseResponse>, location: string, field: string): void {
    assert.deepEqual(
      response.body.errors.map((error: { in: string; field: string }) => [error.in, error.field]),
      [[location, field]],
    );
  }

  test('Content-Length together with Transfer-Encoding is 400 malformed_request naming transfer-encoding', async () => {
    const response = await refused(
      `POST /v1/accounts HTTP/1.1\r\nHost: ledger\r\nx-service-api-key: ${TEST_API_KEY}\r\ncontent-type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    );
    assertProblem(response, 400, 'malformed_request');
    assertNamedField(response, 'header', 'transfer-encoding');
  });

  test('an unknown method is 400 malformed_request naming the method', async () => {
    const response = await refused('FROB /healthz HTTP/1.1\r\nHost: ledger\r\n\r\n');
    assertProblem(response, 400, 'malformed_request');
    assertNamedField(response, 'request_line', 'method');
  });

  test('bare LF line endings are 400 malformed_request', async () => {
    assertProblem(await refused('GET /healthz HTTP/1.1\nHost: ledger\n\n'), 400, 'malformed_request');
    const response = await refused('GET /healthz HTTP/1.1\r\nHost: ledger\r\nX-One: 1\nX-Two: 2\r\n\r\n');
    assertProblem(response, 400, 'malformed_request');
    assertNamedField(response, 'header', '(headers)');
  });

  test('headers over the size limit are 431 headers_too_large', async () => {
    const response = await refused(`GET /healthz HTTP/1.1\r\nHost: ledger\r\nX-Big: ${'a'.repeat(HEADER_BYTES_OVER_LIMIT)}\r\n\r\n`);
    assertProblem(response, 431, 'headers_too_large');
  });

  test('the service keeps answering normal requests after refusing malformed ones', async () => {
    const exchange = await sendRaw(port, 'GET /healthz HTTP/1.1\r\nHost: ledger\r\nConnection: close\r\n\r\n');
    assert.equal(parseResponse(exchange.received).status, 200);
  });
});

describe('paths outside the API docs', () => {
  let api: TestService;
  let port: number;
  before(async () => {
    api = await startTestService();
    await api.service.app.listen({ port: 0, host: '127.0.0.1' });
    port = (api.service.app.server.address() as AddressInfo).port;
  });
  after(() => api.close());

  for (const path of [
    '/docs/static/../../v1/accounts',
    '/docs/static/../../package.json',
    '/docs/static/../index.html',
    '/docs/static/%00',
    '/docs/static/a%00b.js',
    '/docs/static/..%5c..%5cpackage.json',
  ]) {
    test(`${path} is 404 not_found (sent as is, not normalized by the client)`, async () => {
      const exchange = await sendRaw(port, `GET ${path} HTTP/1.1\r\nHost: ledger\r\nConnection: close\r\n\r\n`);
      assertProblem(parseResponse(exchange.received), 404, 'not_found');
    });
  }

  test('the docs themselves are still served', async () => {
    const exchange = await sendRaw(port, 'GET /docs/static/index.css HTTP/1.1\r\nHost: ledger\r\nConnection: close\r\n\r\n');
    assert.equal(parseResponse(exchange.received).status, 200);
  });
});

describe('content codings', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  test('a gzip-encoded body is 415 unsupported_media_type naming content-encoding, with Accept-Encoding: identity', async () => {
    const countAccounts = async () => (await api.database.pool.query('SELECT count(*)::int AS accounts FROM accounts')).rows[0].accounts;
    const before = await countAccounts();
    const response = await api.service.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync('{"currency":"USD"}'),
    });
    const wrapped = { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body), raw: response.body };
    assertProblem(wrapped, 415, 'unsupported_media_type');
    assert.deepEqual(wrapped.body.errors, [{ in: 'header', field: 'content-encoding', message: 'gzip is not supported; send the body without a content coding' }]);
    assert.equal(response.headers['accept-encoding'], 'identity');
    assert.equal(await countAccounts(), before);
  });

  test('an unknown coding is 415 too; identity is accepted', async () => {
    const unknown = await api.request('POST', '/v1/accounts', { body: { currency: 'USD' }, headers: { 'content-encoding': 'x-custom' } });
    assertProblem(unknown, 415, 'unsupported_media_type');
    const identity = await api.request('POST', '/v1/accounts', { body: { currency: 'USD' }, headers: { 'content-encoding': 'identity' } });
    assert.equal(identity.status, 201);
  });
});
