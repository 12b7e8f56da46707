import type { HoldRow } from '../ledgerRows.js';

/** The columns of a hold, money as text so that no value passes through a float. */
export const HOLD_COLUMNS = `id, source_account_id, destination_account_id, amount::text AS amount,
  captured_amount::text AS captured_amount, currency, status, expires_at, capture_transaction_id, description, metadata,
  created_at, updated_at`;

type Money = 'amount' | 'captured_amount';
type Time = 'expires_at' | 'created_at' | 'updated_at';
/** A hold as a query returns it; json_agg renders its times as strings. */
export type RawHoldRow = Omit<HoldRow, Money | Time> & Record<Money, string> & Record<Time, Date | string>;

export function toHoldRow(raw: RawHoldRow): HoldRow {
  return {
    ...raw,
    amount: BigInt(raw.amount),
    captured_amount: BigInt(raw.captured_amount),
    expires_at: new Date(raw.expires_at),
    created_at: new Date(raw.created_at),
    updated_at: new Date(raw.updated_at),
  };
}
