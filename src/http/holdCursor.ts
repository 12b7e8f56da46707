import { ProblemError } from '../errors.js';
import type { HoldCursor } from '../ledger/sql/listHolds.js';

// Cursors of hold pages are opaque to callers: the creation time (in milliseconds, the precision
// the write path stores) and id of the last hold of a page, wrapped so that they are not guessed at.

const CURSOR_PATTERN = /^hold:([0-9]{1,20}):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function encodeHoldCursor(cursor: HoldCursor): string {
  return Buffer.from(`hold:${cursor.createdAt.getTime()}:${cursor.id}`).toString('base64url');
}

export function decodeHoldCursor(cursor: string): HoldCursor {
  const match = CURSOR_PATTERN.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const millis = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isSafeInteger(millis) || Number.isNaN(new Date(millis).getTime())) {
    throw ProblemError.of('validation_error', 'cursor is not a cursor this API returned', {
      errors: [{ in: 'query', field: 'cursor', message: 'is not a cursor this API returned' }],
    });
  }
  return { createdAt: new Date(millis), id: match[2]! };
}
