import { ProblemError } from '../errors.js';
import { METADATA_BYTES_MAX } from './schemas.js';

/** JSON Schema cannot bound a serialized size, so metadata's limit is checked here. */
export function checkMetadataSize(metadata: Record<string, unknown> | undefined): void {
  if (metadata === undefined) return;
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes <= METADATA_BYTES_MAX) return;
  throw ProblemError.of('validation_error', `metadata is ${bytes} bytes serialized, more than ${METADATA_BYTES_MAX}`, {
    errors: [{ in: 'body', field: 'metadata', message: `must be at most ${METADATA_BYTES_MAX} bytes serialized` }],
  });
}
