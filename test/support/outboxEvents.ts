import type pg from 'pg';
import type { CloudEvent } from '../../src/ledger/events.js';
import { withBodies } from '../../src/relay/eventBodies.js';
import { CLAIMED_COLUMNS, toClaimedEvent, type ClaimedRow } from '../../src/relay/sql/claimDueEvents.js';

export interface RenderedEvent {
  eventType: string;
  routingKey: string;
  subject: string;
  /** The message body the relay would publish, and its parse. */
  body: string;
  envelope: CloudEvent;
}

/** An outbox row's subject, whichever way it is stored: the transaction or hold it names, or its envelope's subject. */
export const EVENT_SUBJECT_SQL = "coalesce(transaction_id::text, hold_id::text, payload->>'subject')";

/**
 * The outbox events about these subjects (accounts, transactions or holds), in the order they were
 * written, with the bodies the relay publishes: rendered from the ledger for a posting's or a hold's event.
 */
export async function renderedEvents(pool: pg.Pool, subjects: string[]): Promise<RenderedEvent[]> {
  const client = await pool.connect();
  try {
    const stored = await client.query<ClaimedRow & { subject: string }>(
      `SELECT ${CLAIMED_COLUMNS}, ${EVENT_SUBJECT_SQL} AS subject
       FROM outbox WHERE ${EVENT_SUBJECT_SQL} = ANY($1::text[]) ORDER BY outbox.id`,
      [subjects],
    );
    const claimed = stored.rows.map(toClaimedEvent);
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
