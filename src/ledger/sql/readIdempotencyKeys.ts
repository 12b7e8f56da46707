import type pg from 'pg';

export interface StoredOutcome {
  fingerprint: string;
  statusCode: number;
  body: string;
}

/** Outcomes stored under these keys that have not expired. */
export async function readIdempotencyKeys(
  db: pg.Pool | pg.PoolClient,
  keys: string[],
  now: Date,
): Promise<Map<string, StoredOutcome>> {
  const result = await db.query<{ key: string; fingerprint: string; status_code: number; response_body: string }>({
    name: 'read_idempotency_keys',
    text: `SELECT key, fingerprint, status_code, response_body FROM idempotency_keys
           WHERE key = ANY($1::text[]) AND expires_at > $2`,
    values: [keys, now],
  });
  return new Map(
    result.rows.map((row) => [row.key, { fingerprint: row.fingerprint, statusCode: row.status_code, body: row.response_body }]),
  );
}
