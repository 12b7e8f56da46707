import type pg from 'pg';

/** Deletes up to `limit` expired keys; returns how many it deleted. */
export async function purgeExpiredIdempotencyKeys(db: pg.Pool, now: Date, limit: number): Promise<number> {
  const result = await db.query({
    name: 'purge_expired_idempotency_keys',
    text: `DELETE FROM idempotency_keys WHERE key IN (
             SELECT key FROM idempotency_keys WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2
           )`,
    values: [now, limit],
  });
  return result.rowCount ?? 0;
}
