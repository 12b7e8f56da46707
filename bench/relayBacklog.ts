import { withClient } from './database.js';

// The relay's backlog, written with SQL in one statement: an event for each of the newest transfers
// the service posted, as the write path stores them (naming the transaction, whose rows the relay
// reads to render the event), each with its own event id. The trigger sends one NOTIFY.

const INSERT_BACKLOG_SQL = `
INSERT INTO outbox (event_id, event_type, routing_key, transaction_id, created_at)
SELECT gen_random_uuid(), sample.event_type, sample.routing_key, posted.id, now()
FROM (SELECT event_type, routing_key FROM outbox WHERE event_type = 'transfer.posted' ORDER BY id DESC LIMIT 1) AS sample,
     LATERAL (SELECT id FROM ledger_transactions WHERE type = 'transfer' ORDER BY id DESC LIMIT $1::int) AS posted`;

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

/** Inserts `count` due events. */
export async function insertBacklog(url: string, count: number): Promise<void> {
  return withClient(url, async (client) => {
    const inserted = await client.query(INSERT_BACKLOG_SQL, [count]);
    if (inserted.rowCount !== count) throw new Error(`the relay backlog needs ${count} posted transfers to name; inserted ${inserted.rowCount}`);
    await client.query('VACUUM (ANALYZE) outbox');
  });
}

export async function countUnpublished(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query<{ count: string }>('SELECT count(*) AS count FROM outbox WHERE published_at IS NULL');
    return Number(result.rows[0]!.count);
  });
}
