import { createHash } from 'node:crypto';
import { ProblemError } from '../errors.js';
import type { ListPosition } from '../ledger/listPosition.js';

// Cursors of the account and ledger transaction lists: opaque to callers, tamper-evident, and
// bound to the list and filters that returned them. A cursor carries the (created_at, id) of the
// last row of its page, a digest of the query it belongs to, and a check over both. The check is
// a digest, not a secret signature: nothing behind a cursor is secret (any caller with the API key
// may ask for any page), so it only has to catch a cursor that was edited, cut short, or handed to
// another list or other filters, which would otherwise page silently through the wrong rows.

/** Which list a cursor belongs to. */
export type CursorList = 'accounts' | 'transactions';

const DIGEST_HEX_LENGTH = 16;
const SEPARATOR = '|';
const CREATED_AT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, DIGEST_HEX_LENGTH);
}

/** The query a page answers, in one canonical spelling: object keys sorted, absent filters left out. */
function queryDigest(list: CursorList, filters: object): string {
  return digest(JSON.stringify([list, canonical(filters)]));
}

function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([, inner]) => inner !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, inner]) => [key, canonical(inner)]));
}

export function encodeQueryCursor(list: CursorList, filters: object, position: ListPosition): string {
  const payload = [position.createdAt, position.id, queryDigest(list, filters)].join(SEPARATOR);
  return Buffer.from(`${payload}${SEPARATOR}${digest(payload)}`).toString('base64url');
}

/** The position a cursor continues from; a cursor not returned for this list and these filters is a 400 naming `cursor`. */
export function decodeQueryCursor(list: CursorList, filters: object, cursor: string): ListPosition {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split(SEPARATOR);
  const [createdAt, id, query, check] = parts;
  const intact = parts.length === 4 && check === digest([createdAt, id, query].join(SEPARATOR))
    && CREATED_AT_PATTERN.test(createdAt!) && ID_PATTERN.test(id!);
  if (!intact) throw invalidCursor('is not a cursor this API returned');
  if (query !== queryDigest(list, filters)) throw invalidCursor('was returned for other filters: repeat them exactly, or start without a cursor');
  return { createdAt: createdAt!, id: id! };
}

function invalidCursor(message: string): ProblemError {
  return ProblemError.of('validation_error', `cursor ${message}`, { errors: [{ in: 'query', field: 'cursor', message }] });
}
