import { ProblemError } from '../errors.js';

// Page cursors over a per-account sequence (an entry's sequence, a history row's version), opaque
// to callers: the number to continue below, wrapped so that it is not guessed at.

export function encodeSequenceCursor(sequence: bigint): string {
  return Buffer.from(`seq:${sequence}`).toString('base64url');
}

/** Sequences are PostgreSQL bigints: a larger number is no cursor this API returned. */
const SEQUENCE_MAX = 2n ** 63n - 1n;

export function decodeSequenceCursor(cursor: string): bigint {
  const match = /^seq:([1-9][0-9]{0,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || BigInt(match[1]!) > SEQUENCE_MAX) {
    throw ProblemError.of('validation_error', 'cursor is not a cursor this API returned', {
      errors: [{ in: 'query', field: 'cursor', message: 'is not a cursor this API returned' }],
    });
  }
  return BigInt(match[1]!);
}
