import type pg from 'pg';

// How long until the earliest unpublished event that this relay could claim is due, by the
// database's clock, so that the relay sleeps exactly until then instead of waiting for the poll.
// Rows another relay is publishing right now are skipped (SKIP LOCKED): waiting on them would spin.
// The lock on the one row read lasts only this statement. A row that became due while the batch
// that failed it was still committing gives 0, and the relay drains again at once.

const FIND_NEXT_DUE_DELAY_SQL = `
SELECT greatest(0, extract(epoch FROM next_attempt_at - clock_timestamp()) * 1000)::float8 AS delay_ms
FROM outbox
WHERE published_at IS NULL
ORDER BY next_attempt_at, id
LIMIT 1
FOR UPDATE SKIP LOCKED`;

/** Milliseconds until the next claimable event is due (0: now), or undefined when there is none. */
export async function findNextDueDelay(queryable: pg.Pool | pg.PoolClient): Promise<number | undefined> {
  const result = await queryable.query<{ delay_ms: number }>({ name: 'outbox_find_next_due_delay', text: FIND_NEXT_DUE_DELAY_SQL });
  const delayMs = result.rows[0]?.delay_ms;
  return delayMs === undefined ? undefined : Math.ceil(delayMs);
}
