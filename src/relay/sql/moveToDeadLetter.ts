import type pg from 'pg';

// Moves events whose last allowed attempt failed from the outbox to dead_letter, with that
// attempt counted and its error kept. One statement, inside the claim's transaction: an event is
// in exactly one of the two tables at every moment.

const MOVE_TO_DEAD_LETTER_SQL = `
WITH failed AS (
  SELECT * FROM unnest($1::bigint[], $2::text[]) AS f(id, error)
), dead AS (
  DELETE FROM outbox AS o USING failed AS f
  WHERE o.id = f.id
  RETURNING o.id, o.event_id, o.event_type, o.routing_key, o.payload, o.transaction_id, o.hold_id, o.traceparent, o.attempts, o.created_at, f.error
)
INSERT INTO dead_letter (id, event_id, event_type, routing_key, payload, transaction_id, hold_id, traceparent, attempts, last_error, created_at)
SELECT id, event_id, event_type, routing_key, payload, transaction_id, hold_id, traceparent, attempts + 1, error, created_at FROM dead`;

export interface FinalFailure {
  id: string;
  error: string;
}

export async function moveToDeadLetter(client: pg.PoolClient, failures: FinalFailure[]): Promise<number> {
  if (failures.length === 0) return 0;
  const result = await client.query({
    name: 'outbox_move_to_dead_letter',
    text: MOVE_TO_DEAD_LETTER_SQL,
    values: [failures.map((f) => f.id), failures.map((f) => f.error)],
  });
  return result.rowCount ?? 0;
}
