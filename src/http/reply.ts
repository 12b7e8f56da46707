import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from '../errors.js';
import type { WriteResponse } from './writeResponses.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Sends a write's answer exactly as rendered (and stored), marking replays (IETF idempotency draft). */
export function sendWriteResponse(reply: FastifyReply, response: WriteResponse): FastifyReply {
  if (response.replayed) reply.header('idempotent-replayed', 'true');
  if (response.statusCode === 503) reply.header('retry-after', '1');
  if (response.position !== undefined) reply.header('x-ledger-position', response.position);
  return reply
    .code(response.statusCode)
    .type(response.statusCode >= 400 ? PROBLEM_CONTENT_TYPE : JSON_CONTENT_TYPE)
    .send(response.body);
}

export function sendJson(reply: FastifyReply, statusCode: number, body: unknown): FastifyReply {
  return reply.code(statusCode).type(JSON_CONTENT_TYPE).send(JSON.stringify(body));
}
