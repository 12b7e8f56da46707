import type pg from 'pg';

// Deletes published events older than the retention, at most `limit` per call so that one purge
// never holds many locks or writes one huge WAL burst; the caller repeats while a call is full.

const PURGE_PUBLISHED_SQL = `
DELETE FROM outbox
WHERE id IN (
  SELECT id FROM outbox
  WHERE published_at < now() - $1::float8 * interval '1 millisecond'
  ORDER BY published_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)`;

export async function purgePublished(queryable: pg.Pool | pg.PoolClient, retentionMs: number, limit: number): Promise<number> {
  const result = await queryable.query({ name: 'outbox_purge_published', text: PURGE_PUBLISHED_SQL, values: [retentionMs, limit] });
  return result.rowCount ?? 0;
}
