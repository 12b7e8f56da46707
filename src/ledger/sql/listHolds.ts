import type pg from 'pg';
import type { HoldRow, HoldStatus } from '../ledgerRows.js';
import { HOLD_COLUMNS, toHoldRow, type RawHoldRow } from './holdRows.js';

/** Where a page of holds continues: below this creation time and id. */
export interface HoldCursor {
  createdAt: Date;
  id: string;
}

/**
 * The holds an account is the source or the destination of, newest first (created_at, then id),
 * optionally of one status, starting below `after`. Each side is read along its own index and the
 * two merged. Returns one row more than `limit` when more exist.
 */
export async function listHolds(
  db: pg.Pool,
  accountId: string,
  status: HoldStatus | undefined,
  limit: number,
  after: HoldCursor | undefined,
): Promise<HoldRow[]> {
  const result = await db.query<RawHoldRow>({
    name: 'list_holds',
    text: `SELECT ${HOLD_COLUMNS} FROM (
             (SELECT * FROM holds WHERE source_account_id = $1
                AND ($2::text IS NULL OR status = $2::text)
                AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
              ORDER BY created_at DESC, id DESC LIMIT $5)
             UNION ALL
             (SELECT * FROM holds WHERE destination_account_id = $1
                AND ($2::text IS NULL OR status = $2::text)
                AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
              ORDER BY created_at DESC, id DESC LIMIT $5)
           ) h
           ORDER BY h.created_at DESC, h.id DESC LIMIT $5`,
    values: [accountId, status ?? null, after?.createdAt ?? null, after?.id ?? null, limit + 1],
  });
  return result.rows.map(toHoldRow);
}
