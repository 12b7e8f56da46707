import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from '../errors.js';
import type { OperationResult } from '../ledger/operations.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Sends a write's result exactly as stored, marking replays (IETF idempotency draft). */
export function sendResult(reply: FastifyReply, result: OperationResult): FastifyReply {
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  if (result.statusCode === 503) reply.header('retry-after', '1');
  return reply
    .code(result.statusCode)
    .type(result.statusCode >= 400 ? PROBLEM_CONTENT_TYPE : JSON_CONTENT_TYPE)
    .send(result.body);
}

export function sendJson(reply: FastifyReply, statusCode: number, body: unknown): FastifyReply {
  return reply.code(statusCode).type(JSON_CONTENT_TYPE).send(JSON.stringify(body));
}
