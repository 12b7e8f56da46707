import { withClient } from './database.js';

// The relay's backlog, written with SQL in one statement: an event for each of the newest transfers
// the service posted, as the write path stores them (naming the transaction, whose rows the relay
// reads to render the event), each with its own event id. The trigger sends one NOTIFY. Or, for
// holds, the three events of each of the newest captured holds, as the write path stores them:
// hold.created and hold.captured naming the hold, the capture's transfer.posted its transaction.

/** What a backlog's events announce. */
export type BacklogKind = 'postings' | 'holds';

const INSERT_BACKLOG_SQL = `
INSERT INTO outbox (event_id, event_type, routing_key, transaction_id, created_at)
SELECT gen_random_uuid(), sample.event_type, sample.routing_key, posted.id, now()
FROM (SELECT event_type, routing_key FROM outbox WHERE event_type = 'transfer.posted' ORDER BY id DESC LIMIT 1) AS sample,
     LATERAL (SELECT id FROM ledger_transactions WHERE type = 'transfer' ORDER BY id DESC LIMIT $1::int) AS posted`;

const INSERT_HOLD_BACKLOG_SQL = `
INSERT INTO outbox (event_id, event_type, routing_key, transaction_id, hold_id, created_at)
SELECT gen_random_uuid(), e.event_type, prefix.value || e.event_type, e.transaction_id, e.hold_id, now()
FROM (SELECT left(routing_key, length(routing_key) - length(event_type)) AS value FROM outbox WHERE event_type = 'transfer.posted' LIMIT 1) AS prefix,
     (SELECT id, capture_transaction_id FROM holds WHERE status = 'captured' ORDER BY id DESC LIMIT $1::int) AS captured,
     LATERAL (VALUES ('hold.created', NULL::uuid, captured.id), ('transfer.posted', captured.capture_transaction_id, NULL::uuid),
                     ('hold.captured', NULL::uuid, captured.id)) AS e(event_type, transaction_id, hold_id)`;

/** Events per captured hold in the hold backlog. */
const EVENTS_PER_HOLD = 3;

/**
 * The HTTP scenarios ran without a relay: their events are marked published, so that each relay
 * measurement starts from exactly the backlog it inserts. Returns how many were set aside.
 */
export async function setAsideUnpublished(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query('UPDATE outbox SET published_at = now() WHERE published_at IS NULL');
    return result.rowCount ?? 0;
  });
}

/**
 * Inserts `count` due events and returns how many it inserted: all of them for postings; for holds,
 * three per captured hold, as many whole holds as there are, up to `count` events.
 */
export async function insertBacklog(url: string, count: number, kind: BacklogKind = 'postings'): Promise<number> {
  return withClient(url, async (client) => {
    const inserted = kind === 'postings'
      ? await client.query(INSERT_BACKLOG_SQL, [count])
      : await client.query(INSERT_HOLD_BACKLOG_SQL, [Math.floor(count / EVENTS_PER_HOLD)]);
    const rows = inserted.rowCount ?? 0;
    if (kind === 'postings' ? rows !== count : rows === 0) throw new Error(`the relay backlog needs ${count} events' rows to name; inserted ${rows}`);
    await client.query('VACUUM (ANALYZE) outbox');
    return rows;
  });
}

export async function countUnpublished(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query<{ count: string }>('SELECT count(*) AS count FROM outbox WHERE published_at IS NULL');
    return Number(result.rows[0]!.count);
  });
}
