import type { FastifyInstance } from 'fastify';

// A response can go out before the request's body was read: a body over the size limit (413), a
// request refused before parsing (401, 415). Closing the connection then, with the client's bytes
// still arriving, makes the kernel reset it, and the client often loses the answer it was sent
// (RFC 9112 §9.6). So the rest of the body is read and discarded, and the connection stays usable;
// a client that keeps sending past the bound is cut off (as is one slower than the request timeout).

const UNREAD_BODY_DRAIN_BYTES_MAX = 8 * 1024 * 1024;

export function drainUnreadBodies(app: FastifyInstance): void {
  // onSend, before the response is written: once it has finished, Node would discard the rest of
  // the body itself, without a bound and without telling anyone.
  app.addHook('onSend', async (request) => {
    const incoming = request.raw;
    if (incoming.complete || incoming.destroyed || incoming.listenerCount('data') > 0) return;
    let drainedBytes = 0;
    incoming.on('data', (chunk: Buffer) => {
      drainedBytes += chunk.length;
      if (drainedBytes > UNREAD_BODY_DRAIN_BYTES_MAX) incoming.socket.destroy();
    });
    incoming.resume();
  });
}
