import type pg from 'pg';
import type { CloudEvent } from '../../src/ledger/events.js';
import { withBodies } from '../../src/relay/eventBodies.js';
import type { ClaimedEvent } from '../../src/relay/sql/claimDueEvents.js';

export interface RenderedEvent {
  eventType: string;
  routingKey: string;
  subject: string;
  /** The message body the relay would publish, and its parse. */
  body: string;
  envelope: CloudEvent;
}

/**
 * The outbox events about these subjects (accounts or transactions), in the order they were
 * written, with the bodies the relay publishes: rendered from the ledger for a posting's event.
 */
export async function renderedEvents(pool: pg.Pool, subjects: string[]): Promise<RenderedEvent[]> {
  const client = await pool.connect();
  try {
    const stored = await client.query<{
      id: string; event_id: string; event_type: string; routing_key: string; body: string | null;
      transaction_id: string | null; attempts: number; created_at: Date; subject: string;
    }>(
      `SELECT id::text, event_id::text, event_type, routing_key, payload::text AS body, transaction_id, attempts, created_at,
              coalesce(transaction_id::text, payload->>'subject') AS subject
       FROM outbox WHERE coalesce(transaction_id::text, payload->>'subject') = ANY($1::text[]) ORDER BY id`,
      [subjects],
    );
    const claimed: ClaimedEvent[] = stored.rows.map((row) => ({
      id: row.id, eventId: row.event_id, eventType: row.event_type, routingKey: row.routing_key, body: row.body,
      transactionId: row.transaction_id, attempts: row.attempts, createdAt: row.created_at,
    }));
    const rendered = await withBodies(client, claimed);
    return rendered.map((event, index) => ({
      eventType: event.eventType,
      routingKey: event.routingKey,
      subject: stored.rows[index]!.subject,
      body: event.body,
      envelope: JSON.parse(event.body) as CloudEvent,
    }));
  } finally {
    client.release();
  }
}
