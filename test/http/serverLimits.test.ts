// Proves the HTTP server's time limits on a real socket: a silent connection, headers that trickle
// in, and a body that trickles in are all cut off within their timeouts (with a 408 problem while a
// response is still possible), an idle keep-alive connection is closed after its timeout, and the
// unread rest of a body over the size limit is drained only within bounds, after one 413 answer.
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestService, TEST_API_KEY, type TestService } from '../support/service.js';
import { assertProblem } from './helpers.js';
import { countResponses, parseResponse, rawExchange, trickle } from './rawClient.js';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
/** Time checks run a few times per timeout, and a busy machine delays timers. */
const LATENESS_ALLOWED_MS = 1_500;
const WAIT_MS = REQUEST_TIMEOUT_MS + 4_000;
const TRICKLE_EVERY_MS = 100;
const BODY_OVER_LIMIT_BYTES = 3 * 1024 * 1024;

const AUTHORIZED_POST = `POST /v1/accounts HTTP/1.1\r\nHost: ledger\r\nx-service-api-key: ${TEST_API_KEY}\r\ncontent-type: application/json\r\n`;

describe('HTTP server limits', () => {
  let api: TestService;
  let port: number;
  before(async () => {
    api = await startTestService({
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
    });
    await api.service.app.listen({ port: 0, host: '127.0.0.1' });
    port = (api.service.app.server.address() as AddressInfo).port;
  });
  after(() => api.close());

  test('a connection that never sends a byte is closed within the headers timeout', async () => {
    const exchange = await rawExchange(port, () => {}, WAIT_MS);
    assert.equal(exchange.stillOpen, false, 'the silent connection is still open');
    assert.ok(exchange.closedAfterMs < HEADERS_TIMEOUT_MS + LATENESS_ALLOWED_MS, `closed after ${exchange.closedAfterMs} ms`);
  });

  test('headers sent one byte at a time are cut off within the headers timeout with 408 request_timeout', async () => {
    const endless = `GET /healthz HTTP/1.1\r\nHost: ledger\r\nX-Slow: ${'a'.repeat(1_000)}`;
    const exchange = await rawExchange(port, (socket) => trickle(socket, endless, TRICKLE_EVERY_MS), WAIT_MS);
    assert.equal(exchange.stillOpen, false, 'the slow-header connection is still open');
    assert.ok(exchange.closedAfterMs >= HEADERS_TIMEOUT_MS - TRICKLE_EVERY_MS, `closed early, after ${exchange.closedAfterMs} ms`);
    assert.ok(exchange.closedAfterMs < HEADERS_TIMEOUT_MS + LATENESS_ALLOWED_MS, `closed after ${exchange.closedAfterMs} ms`);
    const response = parseResponse(exchange.received);
    assertProblem(response, 408, 'request_timeout');
    assert.match(response.body.detail, /headers did not arrive within 1000 ms/);
  });

  test('a body sent one byte at a time after complete headers is cut off within the request timeout with 408', async () => {
    const exchange = await rawExchange(
      port,
      (socket) => {
        socket.write(`${AUTHORIZED_POST}content-length: 1000\r\n\r\n{"currency":`);
        trickle(socket, ' '.repeat(1_000), TRICKLE_EVERY_MS);
      },
      WAIT_MS,
    );
    assert.equal(exchange.stillOpen, false, 'the slow-body connection is still open');
    assert.ok(exchange.closedAfterMs < REQUEST_TIMEOUT_MS + LATENESS_ALLOWED_MS, `closed after ${exchange.closedAfterMs} ms`);
    const response = parseResponse(exchange.received);
    assertProblem(response, 408, 'request_timeout');
    assert.match(response.body.detail, /body did not arrive within 2000 ms/);
    assert.equal(countResponses(exchange.received), 1);
  });

  test('a keep-alive connection idle after its response is closed after the keep-alive timeout', async () => {
    const exchange = await rawExchange(port, (socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: ledger\r\n\r\n'), WAIT_MS);
    assert.equal(exchange.stillOpen, false, 'the idle keep-alive connection is still open');
    assert.ok(exchange.closedAfterMs < KEEP_ALIVE_TIMEOUT_MS + LATENESS_ALLOWED_MS, `closed after ${exchange.closedAfterMs} ms`);
    assert.equal(parseResponse(exchange.received).status, 200);
  });

  test('after a 413 sent before the body was read, the rest of the body is read (no reset) and the connection serves the next request', async () => {
    const socket = net.connect(port, '127.0.0.1');
    const errors: string[] = [];
    socket.on('error', (error) => errors.push(error.message));
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    const responses = async (count: number) => {
      const deadline = Date.now() + WAIT_MS;
      while (!(countResponses(received) >= count && received.endsWith('}')) && !socket.destroyed && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await new Promise((resolve) => socket.once('connect', resolve));
    const firstPart = Buffer.alloc(64 * 1024, 0x20);
    const rest = Buffer.alloc(BODY_OVER_LIMIT_BYTES - firstPart.length, 0x20);
    socket.write(`${AUTHORIZED_POST}content-length: ${BODY_OVER_LIMIT_BYTES}\r\n\r\n`);
    socket.write(firstPart);
    await responses(1);
    assertProblem(parseResponse(received), 413, 'payload_too_large');
    // The client goes on sending what it announced, as clients that do not watch for an early answer do.
    await new Promise<void>((resolve) => socket.write(rest, () => resolve()));
    socket.write('GET /healthz HTTP/1.1\r\nHost: ledger\r\n\r\n');
    await responses(2);
    socket.destroy();
    assert.deepEqual(errors, [], 'the connection was reset while the client was still sending');
    assert.equal(countResponses(received), 2, `expected a 413 and a 200: ${received}`);
    assert.match(received, /HTTP\/1\.1 200 OK/);
  });

  test('after a 413, a client still sending slowly is cut off at the request timeout without a second response', async () => {
    const exchange = await rawExchange(
      port,
      (socket) => {
        socket.write(`${AUTHORIZED_POST}content-length: ${BODY_OVER_LIMIT_BYTES}\r\n\r\n`);
        trickle(socket, ' '.repeat(1_000), TRICKLE_EVERY_MS);
      },
      WAIT_MS,
    );
    assert.equal(exchange.stillOpen, false, 'the connection is still open');
    assert.ok(exchange.closedAfterMs < REQUEST_TIMEOUT_MS + LATENESS_ALLOWED_MS, `closed after ${exchange.closedAfterMs} ms`);
    assertProblem(parseResponse(exchange.received), 413, 'payload_too_large');
    assert.equal(countResponses(exchange.received), 1);
  });

  test('after a 413, a client that keeps sending far past the limit is cut off once the bounded drain is spent', async () => {
    const exchange = await rawExchange(
      port,
      (socket) => {
        socket.write(`${AUTHORIZED_POST}content-length: ${1024 * 1024 * 1024}\r\n\r\n`);
        const chunk = Buffer.alloc(256 * 1024, 0x20);
        const pump = () => {
          while (socket.writable && socket.write(chunk));
        };
        socket.on('drain', pump);
        pump();
      },
      WAIT_MS,
    );
    assert.equal(exchange.stillOpen, false, 'the connection is still open');
    assert.ok(exchange.closedAfterMs < REQUEST_TIMEOUT_MS, `closed after ${exchange.closedAfterMs} ms, not by the drain bound`);
    assert.equal(countResponses(exchange.received), 1);
  });
});
