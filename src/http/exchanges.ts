import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

// Which request and response a connection is carrying now. Node's 'clientError' event comes with
// the socket alone; what may still be written to it, and whether closing it interrupts a client's
// request, depends on the exchange in progress.

interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
}

const current = new WeakMap<Socket, Exchange>();

/** Node's own 'request' event: no hook on Fastify's per-request path. */
export function trackExchanges(server: Server): void {
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    current.set(request.socket, { request, response });
  });
}

/** True when the connection carries no request, or only ones fully read and fully answered. */
export function isBetweenRequests(socket: Socket): boolean {
  const exchange = current.get(socket);
  return exchange === undefined || (exchange.request.complete && exchange.response.writableFinished);
}

/**
 * True when an error response may still be written to the socket: no response has begun on it
 * for the message being read (writing one now would corrupt the other).
 */
export function canStillAnswer(socket: Socket): boolean {
  const exchange = current.get(socket);
  return socket.writable && (exchange === undefined || !exchange.response.headersSent || isBetweenRequests(socket));
}
