import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import type { HttpLimits } from '../config.js';
import { problem, PROBLEM_CONTENT_TYPE, type FieldError, type Problem } from '../errors.js';
import { canStillAnswer, isBetweenRequests } from './exchanges.js';

// Requests Node's HTTP parser refuses (and requests that do not arrive in time) never reach
// Fastify's routes: Node reports them with the socket alone ('clientError'). They are answered
// with problem details written to the socket, like every other error, and the connection is then
// closed gracefully: only our sending side first, so that the client can still read the answer
// (an immediate close while its bytes are still arriving resets the connection, RFC 9112 §9.6).

/** How long a half-closed connection keeps being read before it is closed for good. */
const CLOSE_LINGER_MS = 1_000;
const PARSE_ERROR_PREFIX = /^Parse Error: /;

/** Where in the request a parser error code points; the parser's own reason says what is wrong there. */
const PARSER_ERROR_PLACES: Record<string, Pick<FieldError, 'in' | 'field'>> = {
  HPE_INVALID_METHOD: { in: 'request_line', field: 'method' },
  HPE_INVALID_URL: { in: 'request_line', field: 'target' },
  HPE_INVALID_VERSION: { in: 'request_line', field: 'version' },
  HPE_UNEXPECTED_CONTENT_LENGTH: { in: 'header', field: 'content-length' },
  HPE_INVALID_CONTENT_LENGTH: { in: 'header', field: 'content-length' },
  HPE_INVALID_TRANSFER_ENCODING: { in: 'header', field: 'transfer-encoding' },
  HPE_INVALID_HEADER_TOKEN: { in: 'header', field: '(headers)' },
  HPE_CR_EXPECTED: { in: 'header', field: '(headers)' },
  HPE_LF_EXPECTED: { in: 'header', field: '(headers)' },
  HPE_INVALID_CHUNK_SIZE: { in: 'body', field: '(chunks)' },
  HPE_INVALID_EOF_STATE: { in: 'body', field: '(chunks)' },
};
/** Most of what the parser refuses is in the head, after the request line. */
const PARSER_ERROR_PLACE_OTHERWISE: Pick<FieldError, 'in' | 'field'> = { in: 'header', field: '(headers)' };

/** Sockets already answered: a parser keeps reporting the same error for every further byte. */
const answered = new WeakSet<Socket>();

export function createClientErrorHandler(limits: HttpLimits) {
  return function onClientError(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
    if (answered.has(socket) || socket.destroyed) return;
    const body = problemFor(error, socket, limits);
    if (body === undefined || !canStillAnswer(socket)) {
      // A connection-level failure, or a response already under way: nothing can be said any more.
      socket.destroy();
      return;
    }
    this.log.debug({ err: error, status: body.status }, 'request refused before routing');
    answered.add(socket);
    socket.end(rawResponse(body));
    setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
  };
}

function problemFor(error: ConnectionError, socket: Socket, limits: HttpLimits): Problem | undefined {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    // Between requests, the timeout is for the next request's headers; within one, for its body.
    return isBetweenRequests(socket)
      ? problem('request_timeout', `The request headers did not arrive within ${limits.headersTimeoutMs} ms`)
      : problem('request_timeout', `The request body did not arrive within ${limits.requestTimeoutMs} ms`);
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return problem('headers_too_large', 'The request line and headers exceed the size limit', {
      errors: [{ in: 'header', field: '(headers)', message: 'exceed the size limit' }],
    });
  }
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return problem('payload_too_large', 'The chunk extensions exceed the size limit');
  if (!code.startsWith('HPE_')) return undefined;
  const reason = error.message.replace(PARSE_ERROR_PREFIX, '');
  const place = PARSER_ERROR_PLACES[code] ?? PARSER_ERROR_PLACE_OTHERWISE;
  return problem('malformed_request', `The request cannot be parsed: ${reason}`, { errors: [{ ...place, message: reason }] });
}

function rawResponse(body: Problem): string {
  const payload = JSON.stringify(body);
  return [
    `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status]}`,
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(payload)}`,
    'connection: close',
    '',
    payload,
  ].join('\r\n');
}
