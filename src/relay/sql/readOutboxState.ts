import type pg from 'pg';

// The outbox's health in one statement, for the relay's metrics: how many events wait to be
// published, how old the oldest of them is, and how many sit in the dead-letter table. The
// waiting rows are counted through the partial index of unpublished rows (outbox_due), so the
// cost follows the backlog, not the table; it is sampled on a timer, never once per scrape.

const READ_OUTBOX_STATE_SQL = `
SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL)::float8 AS backlog,
       (SELECT coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)
          FROM outbox WHERE published_at IS NULL)::float8 AS oldest_age_seconds,
       (SELECT count(*) FROM dead_letter)::float8 AS dead_letters`;

export interface OutboxState {
  backlog: number;
  oldestAgeSeconds: number;
  deadLetters: number;
}

export async function readOutboxState(pool: pg.Pool): Promise<OutboxState> {
  const { rows } = await pool.query<{ backlog: number; oldest_age_seconds: number; dead_letters: number }>({
    name: 'outbox_read_state',
    text: READ_OUTBOX_STATE_SQL,
  });
  const row = rows[0]!;
  return { backlog: row.backlog, oldestAgeSeconds: row.oldest_age_seconds, deadLetters: row.dead_letters };
}
