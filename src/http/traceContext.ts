import { randomFillSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` a caller sends is kept
// as it came, so the events a request causes join the caller's trace; a request without one (or
// with one that does not parse) starts a trace of its own. The service records no spans itself:
// the id travels on every log line of the request, in the outbox row, and on the message.

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's W3C traceparent: the caller's, or one made for it. */
    traceparent: string;
  }
}

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
// A later version keeps these fields first; what it appends after them is not understood here.
const LATER_VERSION = /^(?!ff|00)[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);
/** Made traces are marked sampled, so that consumers which sample by their parent record them. */
const SAMPLED = '01';

/** The traceparent to keep from a header value, or undefined when it is absent or invalid. */
export function parseTraceparent(header: string | string[] | undefined): string | undefined {
  // More than one traceparent header is invalid: the caller's trace cannot be told.
  if (typeof header !== 'string') return undefined;
  const value = header.trim();
  const exact = VERSION_00.exec(value);
  if (exact) return hasValidIds(exact[1]!, exact[2]!) ? value : undefined;
  const later = LATER_VERSION.exec(value);
  // A later version is passed on in the version this service speaks.
  if (later && hasValidIds(later[1]!, later[2]!)) return `00-${later[1]}-${later[2]}-${later[3]}`;
  return undefined;
}

const IDS_BYTES = 24;
/** Random bytes for this many traces are drawn at once: one system call, not one per request. */
const IDS_POOLED = 256;
const randomIds = Buffer.alloc(IDS_BYTES * IDS_POOLED);
let nextIds = randomIds.length;

/** A new trace: a random 16-byte trace id and 8-byte parent id (never all zero, in practice). */
export function newTraceparent(): string {
  if (nextIds === randomIds.length) {
    randomFillSync(randomIds);
    nextIds = 0;
  }
  const ids = randomIds.toString('hex', nextIds, nextIds + IDS_BYTES);
  nextIds += IDS_BYTES;
  return `00-${ids.slice(0, 32)}-${ids.slice(32)}-${SAMPLED}`;
}

function hasValidIds(traceId: string, parentId: string): boolean {
  return traceId !== ZERO_TRACE_ID && parentId !== ZERO_PARENT_ID;
}

/**
 * Gives every request its traceparent and every log line of it the same: the request's child
 * logger is made with it (Fastify's childLoggerFactory, which sees the raw request first). The
 * header is set to the traceparent kept or made, so that the request reads it back from there.
 */
export function keepTraceContext(app: FastifyInstance): void {
  app.setChildLoggerFactory((logger, bindings, options, rawRequest) => {
    const traceparent = parseTraceparent(rawRequest.headers.traceparent) ?? newTraceparent();
    rawRequest.headers.traceparent = traceparent;
    return logger.child({ ...bindings, traceparent }, options);
  });
  app.decorateRequest('traceparent', '');
  app.addHook('onRequest', (request, _reply, done) => {
    request.traceparent = request.headers.traceparent as string;
    done();
  });
}
