import type pg from 'pg';
import type { OutboxRow } from './outboxRow.js';

// Claims up to `limit` unpublished events whose next attempt is due. The row locks are the claim:
// they last until the caller's database transaction ends, so they are held while the events are
// published and vanish with the connection if the relay dies. SKIP LOCKED lets any number of
// relays claim side by side, each taking rows no live relay holds. The order follows the
// outbox_due index (next_attempt_at, id), so the scan reads only due rows. The columns are named
// with their table: a bare `id` in ORDER BY would mean the text output column, and sort every row.

/** The columns of a claimed row, as toClaimedEvent reads them. */
export const CLAIMED_COLUMNS = 'id::text, event_id::text, event_type, routing_key, payload::text AS body, transaction_id, hold_id, traceparent, attempts, created_at';

const CLAIM_DUE_EVENTS_SQL = `
SELECT ${CLAIMED_COLUMNS}
FROM outbox
WHERE published_at IS NULL AND next_attempt_at <= now()
ORDER BY outbox.next_attempt_at, outbox.id
LIMIT $1
FOR UPDATE SKIP LOCKED`;

export interface ClaimedRow {
  id: string;
  event_id: string;
  event_type: string;
  routing_key: string;
  body: string | null;
  transaction_id: string | null;
  hold_id: string | null;
  traceparent: string | null;
  attempts: number;
  created_at: Date;
}

/** A claimed row: its stored envelope's text, or (a posting's or hold's event) the transaction or hold it renders. */
export type ClaimedEvent = Omit<OutboxRow, 'body'> & { body: string | null; transactionId: string | null; holdId: string | null };

export async function claimDueEvents(client: pg.PoolClient, limit: number): Promise<ClaimedEvent[]> {
  const result = await client.query<ClaimedRow>({ name: 'outbox_claim_due_events', text: CLAIM_DUE_EVENTS_SQL, values: [limit] });
  return result.rows.map(toClaimedEvent);
}

export function toClaimedEvent(row: ClaimedRow): ClaimedEvent {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    routingKey: row.routing_key,
    body: row.body,
    transactionId: row.transaction_id,
    holdId: row.hold_id,
    traceparent: row.traceparent,
    attempts: row.attempts,
    createdAt: row.created_at,
  };
}
