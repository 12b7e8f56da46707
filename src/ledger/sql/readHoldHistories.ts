import type pg from 'pg';
import type { HoldChangeRow, HoldRow, HoldStatus } from '../ledgerRows.js';
import { HOLD_COLUMNS, toHoldRow, type RawHoldRow } from './holdRows.js';

/** A hold's state as one of its changes left it: appended once, never rewritten. */
export type HoldChange = Omit<HoldChangeRow, 'hold_id'> & { created_at: Date };

/** A hold (its fixed columns never change) with every change it has had, by status. */
export interface HoldHistory {
  hold: HoldRow;
  changes: Map<HoldStatus, HoldChange>;
}

type RawHoldHistory = RawHoldRow & { changes: Array<{ status: HoldStatus; amount: string; transaction_id: string | null; created_at: string }> };

/**
 * The holds with these ids that exist, by id, each with its changes: what a hold's events and its
 * stored answers (a created or voided hold) are rendered from.
 */
export async function readHoldHistories(queryable: pg.Pool | pg.PoolClient, ids: string[]): Promise<Map<string, HoldHistory>> {
  const result = await queryable.query<RawHoldHistory>({
    name: 'read_hold_histories',
    text: `SELECT ${HOLD_COLUMNS},
             (SELECT json_agg(json_build_object('status', c.status, 'amount', c.amount::text, 'transaction_id', c.transaction_id,
                'created_at', c.created_at)) FROM hold_changes c WHERE c.hold_id = h.id) AS changes
           FROM holds h WHERE h.id = ANY($1::uuid[])`,
    values: [ids],
  });
  return new Map(result.rows.map(({ changes, ...raw }) => [raw.id, {
    hold: toHoldRow(raw),
    changes: new Map(changes.map((change) => [change.status, { ...change, amount: BigInt(change.amount), created_at: new Date(change.created_at) }])),
  }]));
}

/** The hold as its change to `status` left it (the hold row holds only its latest state), or undefined if it made none. */
export function holdAsChanged(history: HoldHistory, status: HoldStatus): HoldRow | undefined {
  const change = history.changes.get(status);
  return change && {
    ...history.hold,
    status,
    captured_amount: status === 'captured' ? change.amount : 0n,
    capture_transaction_id: change.transaction_id,
    updated_at: change.created_at,
  };
}
