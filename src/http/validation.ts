import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from '../errors.js';

// Request validation: bodies are taken as sent (no type coercion, unknown fields rejected, every
// error reported); query strings and path parameters are text, so they are coerced.

function createAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    verbose: true,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

const bodyAjv = createAjv(false);
const textAjv = createAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;

const LOCATIONS: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/** One error per field, named as the caller wrote it (nested fields dotted). */
export function toFieldErrors(errors: ErrorObject[], context: string): FieldError[] {
  const location = LOCATIONS[context] ?? context;
  const byField = new Map<string, FieldError>();
  for (const error of errors) {
    const field = fieldName(error);
    const message = messageFor(error);
    const known = byField.get(field);
    // A union's own message says more than the messages of its branches.
    if (!known || error.keyword === 'anyOf') byField.set(field, { in: location, field, message });
  }
  return [...byField.values()];
}

function fieldName(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  return path.join('.') || '(root)';
}

function messageFor(error: ErrorObject): string {
  const custom = (error.parentSchema as Record<string, unknown> | undefined)?.['x-error-message'];
  if (error.keyword === 'anyOf' && typeof custom === 'string') return custom;
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  return error.message ?? 'is invalid';
}
