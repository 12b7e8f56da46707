import { withClient } from './database.js';

// The relay's backlog, written with SQL in one statement: copies of a real transfer.posted
// envelope the service wrote, each with its own event id and time, as the write path would have
// stored them (the trigger sends one NOTIFY for the statement).

const INSERT_BACKLOG_SQL = `
INSERT INTO outbox (event_id, event_type, routing_key, payload, created_at)
SELECT event.id, sample.event_type, sample.routing_key,
       jsonb_set(jsonb_set(sample.payload, '{id}', to_jsonb(event.id::text)), '{time}', to_jsonb(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
       now()
FROM (SELECT event_type, routing_key, payload FROM outbox WHERE event_type = 'transfer.posted' ORDER BY id DESC LIMIT 1) AS sample,
     LATERAL (SELECT gen_random_uuid() AS id FROM generate_series(1, $1::int)) AS event`;

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

/** Inserts `count` due events; returns the mean body size in bytes. */
export async function insertBacklog(url: string, count: number): Promise<number> {
  return withClient(url, async (client) => {
    const inserted = await client.query(INSERT_BACKLOG_SQL, [count]);
    if (inserted.rowCount !== count) throw new Error(`the relay backlog needs a transfer.posted event to copy; inserted ${inserted.rowCount} of ${count}`);
    await client.query('VACUUM (ANALYZE) outbox');
    const size = await client.query<{ bytes: string }>('SELECT avg(octet_length(payload::text))::int AS bytes FROM outbox WHERE published_at IS NULL');
    return Number(size.rows[0]!.bytes);
  });
}

export async function countUnpublished(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query<{ count: string }>('SELECT count(*) AS count FROM outbox WHERE published_at IS NULL');
    return Number(result.rows[0]!.count);
  });
}
