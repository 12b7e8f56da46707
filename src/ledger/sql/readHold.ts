import type pg from 'pg';
import type { HoldRow } from '../ledgerRows.js';
import { HOLD_COLUMNS, toHoldRow, type RawHoldRow } from './holdRows.js';

export async function readHold(db: pg.Pool, id: string): Promise<HoldRow | undefined> {
  const result = await db.query<RawHoldRow>({
    name: 'read_hold',
    text: `SELECT ${HOLD_COLUMNS} FROM holds WHERE id = $1`,
    values: [id],
  });
  const raw = result.rows[0];
  return raw && toHoldRow(raw);
}
