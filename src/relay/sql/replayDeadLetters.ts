import type pg from 'pg';

// Moves dead letters back into the outbox with a fresh attempt budget, due now. The insert fires
// the outbox_notify trigger, so a running relay picks them up at once. Rows keep their outbox id
// and their last error (for the record until they are published). One statement: a replayed
// event is never in both tables, nor in neither.

const REPLAY_DEAD_LETTERS_SQL = `
WITH moved AS (
  DELETE FROM dead_letter
  WHERE $1::boolean OR event_id = ANY($2::uuid[]) OR event_type = ANY($3::text[])
  RETURNING id, event_id, event_type, routing_key, payload, transaction_id, hold_id, traceparent, last_error, created_at
)
INSERT INTO outbox (id, event_id, event_type, routing_key, payload, transaction_id, hold_id, traceparent, attempts, next_attempt_at, last_error, created_at)
OVERRIDING SYSTEM VALUE
SELECT id, event_id, event_type, routing_key, payload, transaction_id, hold_id, traceparent, 0, now(), last_error, created_at FROM moved`;

/** Which dead letters to replay: all of them, or those matching any of the ids or types. */
export type DeadLetterSelection = { all: true } | { all: false; eventIds: string[]; eventTypes: string[] };

/** Returns how many dead letters moved back to the outbox. */
export async function replayDeadLetters(queryable: pg.Pool | pg.PoolClient, selection: DeadLetterSelection): Promise<number> {
  const eventIds = selection.all ? [] : selection.eventIds;
  const eventTypes = selection.all ? [] : selection.eventTypes;
  if (!selection.all && eventIds.length === 0 && eventTypes.length === 0) return 0;
  const result = await queryable.query({
    name: 'outbox_replay_dead_letters',
    text: REPLAY_DEAD_LETTERS_SQL,
    values: [selection.all, eventIds, eventTypes],
  });
  return result.rowCount ?? 0;
}
