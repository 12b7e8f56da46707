import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';
import type { HttpLimits } from '../config.js';
import { createClientErrorHandler } from './clientErrors.js';

// The HTTP server's timeouts, as Fastify and Node's http.Server options. Node checks the headers
// and request timeouts on a timer (every 30 s by default), so a client could outlive its timeout
// by that much; the check runs a few times per timeout instead.

const TIMEOUT_CHECKS_PER_TIMEOUT = 4;
const TIMEOUT_CHECK_INTERVAL_MIN_MS = 25;
const TIMEOUT_CHECK_INTERVAL_MAX_MS = 1_000;

export function serverLimitOptions(limits: HttpLimits): FastifyHttpOptions<Server> {
  const checkIntervalMs = Math.min(
    TIMEOUT_CHECK_INTERVAL_MAX_MS,
    Math.max(TIMEOUT_CHECK_INTERVAL_MIN_MS, Math.floor(limits.headersTimeoutMs / TIMEOUT_CHECKS_PER_TIMEOUT)),
  );
  return {
    // A connection that never completes its headers (or never sends any) is closed after this.
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: checkIntervalMs,
    },
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    clientErrorHandler: createClientErrorHandler(limits),
  };
}
