import { ProblemError, type FieldError } from '../errors.js';
import { METADATA_BYTES_MAX, METADATA_DEPTH_MAX } from './schemas.js';

// Body rules JSON Schema cannot express: metadata's nesting depth and serialized size, and text
// PostgreSQL can store unchanged (no NUL character, no lone UTF-16 surrogate) anywhere in the body.
// Runs before anything else walks the body (the idempotency fingerprint, JSON.stringify): a body
// nested thousands deep would overflow the stack of any recursive walk, here and in PostgreSQL.

export function checkBodyStorable(body: { metadata?: Record<string, unknown> }): void {
  const { errors, tooDeep } = findUnstorableText(body);
  if (body.metadata !== undefined && !tooDeep) {
    const bytes = Buffer.byteLength(JSON.stringify(body.metadata));
    if (bytes > METADATA_BYTES_MAX) {
      errors.push({ in: 'body', field: 'metadata', message: `must be at most ${METADATA_BYTES_MAX} bytes serialized (is ${bytes})` });
    }
  }
  if (errors.length === 0) return;
  const detail = errors.map((error) => `${error.field} ${error.message}`).join('; ');
  throw ProblemError.of('validation_error', detail, { errors });
}

function isStorable(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}

const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** Walks the body with an explicit stack (never recursion), stopping below METADATA_DEPTH_MAX levels. */
function findUnstorableText(body: unknown): { errors: FieldError[]; tooDeep: boolean } {
  const errors: FieldError[] = [];
  let tooDeep = false;
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value: body, path: '', depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, path, depth } = next;
    if (typeof value === 'string') {
      if (!isStorable(value)) errors.push({ in: 'body', field: path || '(root)', message: UNSTORABLE_MESSAGE });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    // The body is depth 0 and metadata depth 1: metadata may hold METADATA_DEPTH_MAX levels.
    if (depth > METADATA_DEPTH_MAX) {
      tooDeep = true;
      errors.push({ in: 'body', field: path, message: `must not nest more than ${METADATA_DEPTH_MAX} levels deep` });
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const itemPath = path ? `${path}.${key}` : key;
      if (!isStorable(key)) errors.push({ in: 'body', field: itemPath, message: `key ${UNSTORABLE_MESSAGE}` });
      pending.push({ value: item, path: itemPath, depth: depth + 1 });
    }
  }
  return { errors, tooDeep };
}
