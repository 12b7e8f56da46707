import type { TObject } from 'typebox';
import type { FastifySchema } from 'fastify';
import type { SwaggerTransform } from '@fastify/swagger';

// Request headers that a route documents but checks in its handler, not through Fastify's
// validation: Idempotency-Key has rules of its own (a missing key is `idempotency_key_missing`,
// not a generic validation error). A route names them in `schema.documentedHeaders`; the OpenAPI
// document shows them as header parameters, and Fastify never validates them.

declare module 'fastify' {
  interface FastifySchema {
    /** Headers shown in the OpenAPI document only; the handler checks them. */
    documentedHeaders?: TObject;
  }
}

/** The @fastify/swagger `transform` that turns `documentedHeaders` into the document's headers. */
export const showDocumentedHeaders: SwaggerTransform = ({ schema, url }) => {
  if (!schema?.documentedHeaders) return { schema, url };
  const { documentedHeaders, ...rest } = schema;
  const shown: FastifySchema = { ...rest, headers: documentedHeaders };
  return { schema: shown, url };
};
