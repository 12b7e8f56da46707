import type pg from 'pg';

// Marks events published, after the broker confirmed them and in the transaction that claimed
// them, stamped with the time of marking (not the claim's start). Rows stay in the outbox for audit
// until purgePublished removes them.

const MARK_PUBLISHED_SQL = `
UPDATE outbox SET published_at = clock_timestamp()
WHERE id = ANY($1::bigint[]) AND published_at IS NULL`;

export async function markPublished(client: pg.PoolClient, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await client.query({ name: 'outbox_mark_published', text: MARK_PUBLISHED_SQL, values: [ids] });
  return result.rowCount ?? 0;
}
