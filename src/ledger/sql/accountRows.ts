import type { AccountRow } from '../ledgerRows.js';

/** The columns of an account, money as text so that no value passes through a float. */
export const ACCOUNT_COLUMNS = `id, kind, currency, balance::text AS balance, status, external_ref, metadata,
  version::text AS version, created_at, updated_at`;

export type RawAccountRow = Omit<AccountRow, 'balance' | 'version'> & { balance: string; version: string };

export function toAccountRow(raw: RawAccountRow): AccountRow {
  return { ...raw, balance: BigInt(raw.balance), version: BigInt(raw.version) };
}
