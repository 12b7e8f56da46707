import type pg from 'pg';

// How long until the earliest scheduled retry, by the database's clock, so that the relay sleeps
// exactly until then instead of waiting for the poll. Rows already due are not counted: those the
// relay could claim it just drained, and the rest are held by another relay that is publishing them.

const FIND_NEXT_DUE_DELAY_SQL = `
SELECT (extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 AS delay_ms
FROM outbox
WHERE published_at IS NULL AND next_attempt_at > now()`;

/** Milliseconds until the next retry is due, or undefined when no retry is scheduled. */
export async function findNextDueDelay(queryable: pg.Pool | pg.PoolClient): Promise<number | undefined> {
  const result = await queryable.query<{ delay_ms: number | null }>({ name: 'outbox_find_next_due_delay', text: FIND_NEXT_DUE_DELAY_SQL });
  const delayMs = result.rows[0]?.delay_ms;
  return delayMs === null || delayMs === undefined ? undefined : Math.max(0, Math.ceil(delayMs));
}
