import { ProblemError, type FieldError } from '../errors.js';
import { METADATA_BYTES_MAX } from './schemas.js';

// Body rules JSON Schema cannot express: metadata's serialized size, and text PostgreSQL can
// store unchanged (no NUL character, no lone UTF-16 surrogate) anywhere in the body.

export function checkBodyStorable(body: { metadata?: Record<string, unknown> }): void {
  const errors: FieldError[] = [];
  findUnstorableText(body, '', errors);
  if (body.metadata !== undefined) {
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

function findUnstorableText(value: unknown, path: string, errors: FieldError[]): void {
  const message = 'must not contain NUL characters or unpaired UTF-16 surrogates';
  if (typeof value === 'string') {
    if (!isStorable(value)) errors.push({ in: 'body', field: path || '(root)', message });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value)) {
    const itemPath = path ? `${path}.${key}` : key;
    if (!isStorable(key)) errors.push({ in: 'body', field: itemPath, message: `key ${message}` });
    findUnstorableText(item, itemPath, errors);
  }
}
