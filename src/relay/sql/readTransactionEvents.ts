import type pg from 'pg';

// The events that carry a ledger transaction, wherever they are now: in the outbox (waiting or
// published) or in dead_letter. A published row is purged after OUTBOX_RETENTION_DAYS, so an old
// transaction may have none. For the operator console: outbox.transaction_id has no index (the
// write path would pay for it on every event), and the outbox holds only the retention's rows.

const READ_TRANSACTION_EVENTS_SQL = `
SELECT event_id::text, event_type, routing_key, attempts, last_error, created_at, next_attempt_at, published_at,
       NULL::timestamptz AS dead_at
  FROM outbox WHERE transaction_id = $1
UNION ALL
SELECT event_id::text, event_type, routing_key, attempts, last_error, created_at, NULL, NULL, dead_at
  FROM dead_letter WHERE transaction_id = $1
ORDER BY created_at, event_id`;

export interface TransactionEventRow {
  event_id: string;
  event_type: string;
  routing_key: string;
  /** Failed publish attempts so far. */
  attempts: number;
  last_error: string | null;
  created_at: Date;
  /** Outbox rows only: when the next attempt is due, and when it was published. */
  next_attempt_at: Date | null;
  published_at: Date | null;
  /** Dead letters only: when it was moved there. */
  dead_at: Date | null;
}

export async function readTransactionEvents(db: pg.Pool, transactionId: string): Promise<TransactionEventRow[]> {
  const result = await db.query<TransactionEventRow>({
    name: 'outbox_read_transaction_events',
    text: READ_TRANSACTION_EVENTS_SQL,
    values: [transactionId],
  });
  return result.rows;
}
