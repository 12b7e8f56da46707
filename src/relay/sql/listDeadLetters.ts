import type pg from 'pg';

// Dead letters, the most recently dead first, at most `limit` of them: each with its last error, for an
// operator to decide what to replay. Keyed on dead_letter.id (the outbox id it kept).

const LIST_DEAD_LETTERS_SQL = `
SELECT id::text, event_id::text, event_type, routing_key, transaction_id::text, hold_id::text, attempts, last_error, created_at, dead_at
  FROM dead_letter
 ORDER BY dead_at DESC, id DESC
 LIMIT $1`;

export interface DeadLetterRow {
  id: string;
  event_id: string;
  event_type: string;
  routing_key: string;
  /** The ledger transaction a posting's event carries; null for events stored with their body. */
  transaction_id: string | null;
  /** The hold a hold's event carries; null for the others. */
  hold_id: string | null;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  dead_at: Date;
}

export async function listDeadLetters(db: pg.Pool, limit: number): Promise<DeadLetterRow[]> {
  const result = await db.query<DeadLetterRow>({ name: 'outbox_list_dead_letters', text: LIST_DEAD_LETTERS_SQL, values: [limit] });
  return result.rows;
}
