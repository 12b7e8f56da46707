import type pg from 'pg';

// Whether an outcome is stored, and still replays, under an Idempotency-Key: the edge asks before
// refusing a request whose validity depends on the clock (a hold's expires_at), since its
// repeat must replay the first answer, not be judged again later.

const IS_KEY_STORED_SQL = 'SELECT 1 FROM idempotency_keys WHERE key = $1 AND expires_at > $2';

/** `now`: the write path's clock, which decides when a key expires. */
export async function isKeyStored(pool: pg.Pool, key: string, now: Date): Promise<boolean> {
  const result = await pool.query({ name: 'idempotency_is_key_stored', text: IS_KEY_STORED_SQL, values: [key, now] });
  return (result.rowCount ?? 0) > 0;
}
