import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { classifyDatabaseError } from '../db/sqlstate.js';
import { problem, ProblemError, PROBLEM_CONTENT_TYPE, type Problem } from '../errors.js';
import { toFieldErrors } from './validation.js';

// Every error leaves as application/problem+json with a code from the catalogue.

const RETRY_AFTER_SECONDS = '1';

export function sendProblem(reply: FastifyReply, body: Problem, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(body.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ProblemError) return sendProblem(reply, error.problem, error.headers);
    const known = problemForFrameworkError(error);
    if (known) {
      // Fastify asks to close after a body over the limit; the unread body is drained instead
      // (unreadBodyDrain.ts), as a close with bytes still arriving resets the connection.
      if (known.status === 413) reply.removeHeader('connection');
      return sendProblem(reply, known);
    }
    if (classifyDatabaseError(error).kind === 'connection_lost') {
      request.log.warn({ err: error }, 'database unreachable');
      return sendProblem(reply, problem('service_unavailable', 'The database is unreachable; try again shortly'), {
        'retry-after': RETRY_AFTER_SECONDS,
      });
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, problem('internal_error', 'An unexpected error occurred'));
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, notFound(request)));
}

function notFound(request: FastifyRequest): Problem {
  return problem('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`);
}

/**
 * Fastify answers a URL it cannot route (percent-encoding that is not UTF-8, a path parameter over
 * its length limit) before any hook runs; the `frameworkErrors` option sends these as problems too.
 */
export function sendUrlProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('x-request-id', request.id);
  // The only other framework error is a failing async route constraint, which this service has none of.
  if (error.code !== 'FST_ERR_BAD_URL' && error.code !== 'FST_ERR_MAX_PARAM_LENGTH') {
    request.log.error({ err: error }, 'unhandled framework error');
    return sendProblem(reply, problem('internal_error', 'An unexpected error occurred'));
  }
  const message = error.code === 'FST_ERR_BAD_URL' ? 'is not a valid percent-encoded UTF-8 path' : 'has a path segment that is too long';
  return sendProblem(reply, problem('validation_error', `The URL ${message}`, { errors: [{ in: 'path', field: '(url)', message }] }));
}

function problemForFrameworkError(error: FastifyError): Problem | undefined {
  if (error.validation) {
    const errors = toFieldErrors(error.validation as never, error.validationContext ?? 'body');
    const summary = errors.map((field) => `${field.field} ${field.message}`).join('; ');
    return problem('validation_error', summary, { errors });
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
    return problem('payload_too_large', 'The request body exceeds 1 MB');
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.statusCode === 415) {
    return problem('unsupported_media_type', 'Send the request body as application/json');
  }
  // Body parser failures (malformed or empty JSON, prototype poisoning, bad Content-Length) are 400s.
  if (error.statusCode === 400) {
    return problem('validation_error', `The request body cannot be read: ${error.message}`, {
      errors: [{ in: 'body', field: '(root)', message: error.message }],
    });
  }
  if (error.statusCode === 405) return problem('method_not_allowed', error.message);
  return undefined;
}
