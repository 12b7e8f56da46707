import type pg from 'pg';

// Records a failed publish attempt: one more attempt, its error, and when to try again. The delay
// is computed by the caller (src/backoff.ts) and added to the database's clock, so that relays on
// machines with drifting clocks still agree on when a row is due. clock_timestamp(), not now():
// now() is when the claim began, and publishing may have taken longer than the delay itself.

const RECORD_FAILURE_SQL = `
UPDATE outbox AS o
SET attempts = o.attempts + 1,
    last_error = f.error,
    next_attempt_at = clock_timestamp() + f.delay_ms * interval '1 millisecond'
FROM unnest($1::bigint[], $2::text[], $3::float8[]) AS f(id, error, delay_ms)
WHERE o.id = f.id`;

export interface PublishFailure {
  id: string;
  error: string;
  retryDelayMs: number;
}

export async function recordFailure(client: pg.PoolClient, failures: PublishFailure[]): Promise<number> {
  if (failures.length === 0) return 0;
  const result = await client.query({
    name: 'outbox_record_failure',
    text: RECORD_FAILURE_SQL,
    values: [failures.map((f) => f.id), failures.map((f) => f.error), failures.map((f) => f.retryDelayMs)],
  });
  return result.rowCount ?? 0;
}
