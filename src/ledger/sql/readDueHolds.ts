import type pg from 'pg';

/** A pending hold past its expiry, with the accounts its expiry is written by. */
export interface DueHold {
  id: string;
  source_account_id: string;
  destination_account_id: string;
}

/** Up to `limit` pending holds due at `now`, the longest due first (the holds_pending_expiry index). */
export async function readDueHolds(db: pg.Pool, now: Date, limit: number): Promise<DueHold[]> {
  const result = await db.query<DueHold>({
    name: 'read_due_holds',
    text: `SELECT id, source_account_id, destination_account_id FROM holds
           WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
    values: [now, limit],
  });
  return result.rows;
}
