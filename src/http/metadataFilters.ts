import { ProblemError } from '../errors.js';
import { METADATA_FILTER_KEY, METADATA_FILTERS_MAX } from './querySchemas.js';

// `metadata[key]=value` query parameters, read explicitly: Fastify's query string parser keeps
// "metadata[key]" as a flat key (it does not build nested objects), and the route's schema has
// already checked each such key's shape and that its value is one string.

/** The metadata object every listed row must contain (metadata @> it), or undefined when none is asked for. */
export function readMetadataFilters(query: Record<string, unknown>): Record<string, string> | undefined {
  const filters: Record<string, string> = {};
  let count = 0;
  for (const [parameter, value] of Object.entries(query)) {
    const key = METADATA_FILTER_KEY.exec(parameter)?.[1];
    if (key === undefined || typeof value !== 'string') continue;
    filters[key] = value;
    count++;
  }
  if (count > METADATA_FILTERS_MAX) {
    throw ProblemError.of('validation_error', `At most ${METADATA_FILTERS_MAX} metadata filters are allowed`, {
      errors: [{ in: 'query', field: 'metadata', message: `at most ${METADATA_FILTERS_MAX} metadata[key] filters are allowed` }],
    });
  }
  return count === 0 ? undefined : filters;
}
