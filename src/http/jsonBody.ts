import type { FastifyInstance } from 'fastify';
import { ProblemError } from '../errors.js';
import { findInexactJson } from './exactJson.js';

// The application/json body parser: Fastify's own (secure-json-parse, which refuses __proto__ and
// constructor.prototype keys), then a pass over the source text that refuses what JSON.parse
// would silently read differently: a key given twice anywhere, a number JSON cannot keep exactly,
// and an amount written as a JSON number with a fraction, an exponent or a sign.
// Not lossless-json, which keeps each number's text and refuses a repeated key: it would replace
// V8's JSON.parse with a recursive parser in JavaScript (a deeply nested body overflows its stack),
// assigns keys with `object[key] =` (so "__proto__" sets a prototype), and names a position, not a
// field. bench/jsonBody.ts measures what the pass over the text costs.

/** Members whose JSON numbers must be canonical integers in the source text: every amount. */
const INTEGER_TEXT_FIELDS: ReadonlySet<string> = new Set(['amount', 'legs.*.amount']);

export function registerExactJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // Replacing the default parser for application/json is documented Fastify behaviour.
  app.addContentTypeParser<string>('application/json', { parseAs: 'string' }, (request, text, done) => {
    parseJson(request, text, (error, body) => {
      if (error) return done(error, undefined);
      const errors = findInexactJson(text, body, INTEGER_TEXT_FIELDS);
      if (errors.length === 0) return done(null, body);
      const detail = errors.map((field) => `${field.field} ${field.message}`).join('; ');
      done(ProblemError.of('validation_error', detail, { errors }), undefined);
    });
  });
}
