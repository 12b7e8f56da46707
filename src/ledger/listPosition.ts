import { instantMicroseconds } from '../instant.js';

// Where a newest-first list continues: below this (created_at, id). The time is kept as text to the
// microsecond, as PostgreSQL stores it, so that a row written with more precision than a
// JavaScript Date holds is neither skipped nor repeated.

export interface ListPosition {
  /** RFC 3339 text; a cursor's is UTC with six fractional digits. */
  createdAt: string;
  id: string;
}

/** Above every row: the first page starts here. */
export const LIST_START: ListPosition = { createdAt: 'infinity', id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };

/** No id is below it: (to, NIL_ID) keeps exactly the rows created before `to`. */
const NIL_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The tighter of a page's start and a window's end (`created_at < to`), as one position. A list
 * bounds its index scan from above by one row comparison only: given a row comparison and a
 * separate `created_at < to`, PostgreSQL may start the backward scan at the looser of the two and
 * walk every newer row down to the window (measured: 21 ms for an hour's page of a month's ledger).
 */
export function startBelow(after: ListPosition, to: string | undefined): ListPosition {
  if (to === undefined) return after;
  const end = { createdAt: to, id: NIL_ID };
  if (after.createdAt === LIST_START.createdAt) return end;
  return instantMicroseconds(to) <= instantMicroseconds(after.createdAt) ? end : after;
}
