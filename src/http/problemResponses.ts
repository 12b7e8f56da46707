import { problem, type ProblemCode } from '../errors.js';
import { ProblemSchema } from './schemas.js';

// The problems an operation can answer, as OpenAPI responses: one per HTTP status, described by
// the catalogue codes behind it and sent as application/problem+json, as the problem handler
// sends them. Built from the catalogue (src/errors.ts), so that the document and the codes agree.

const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** Every 503 (database unreachable, overloaded, not ready) says when to come back. */
const RETRY_AFTER_HEADERS = { 'Retry-After': { type: 'string', description: 'Seconds to wait before retrying' } };

export interface ProblemResponse {
  description: string;
  headers?: typeof RETRY_AFTER_HEADERS;
  content: { [PROBLEM_MEDIA_TYPE]: { schema: typeof ProblemSchema } };
}

/** What any /v1 operation can answer besides its own problems: a missing key, an outage, a bug. */
export const V1_PROBLEM_CODES = ['unauthorized', 'service_unavailable', 'internal_error'] as const satisfies ProblemCode[];

/** What any request body can run into before the handler sees it. */
export const BODY_PROBLEM_CODES = ['validation_error', 'payload_too_large', 'unsupported_media_type'] as const satisfies ProblemCode[];

/** Responses keyed by status for `codes`; a status shared by several codes lists them all. */
export function problemResponses(codes: readonly ProblemCode[]): Record<number, ProblemResponse> {
  const byStatus = new Map<number, string[]>();
  for (const code of new Set(codes)) {
    const { status, title } = problem(code, '');
    byStatus.set(status, [...(byStatus.get(status) ?? []), `\`${code}\`: ${title}`]);
  }
  const responses: Record<number, ProblemResponse> = {};
  for (const [status, lines] of byStatus) {
    responses[status] = {
      description: lines.join('; '),
      ...(status === 503 ? { headers: RETRY_AFTER_HEADERS } : {}),
      content: { [PROBLEM_MEDIA_TYPE]: { schema: ProblemSchema } },
    };
  }
  return responses;
}
