// Where a newest-first list continues: below this (created_at, id). The time is kept as text to the
// microsecond, as PostgreSQL stores it, so that a row written with more precision than a
// JavaScript Date holds is neither skipped nor repeated.

export interface ListPosition {
  /** RFC 3339, UTC, six fractional digits. */
  createdAt: string;
  id: string;
}

/** Above every row: the first page starts here. */
export const LIST_START: ListPosition = { createdAt: 'infinity', id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };
