import type { AccountRow } from '../ledgerRows.js';

/** The columns of an account, money as text so that no value passes through a float. */
export const ACCOUNT_COLUMNS = `id, kind, currency, balance::text AS balance, pending_debits::text AS pending_debits,
  pending_credits::text AS pending_credits, status, overdraft_limit::text AS overdraft_limit, external_ref, metadata, version::text AS version, created_at, updated_at`;

type Money = 'balance' | 'pending_debits' | 'pending_credits' | 'overdraft_limit' | 'version';
export type RawAccountRow = Omit<AccountRow, Money> & Record<Money, string>;

export function toAccountRow(raw: RawAccountRow): AccountRow {
  return {
    ...raw,
    balance: BigInt(raw.balance),
    pending_debits: BigInt(raw.pending_debits),
    pending_credits: BigInt(raw.pending_credits),
    overdraft_limit: BigInt(raw.overdraft_limit),
    version: BigInt(raw.version),
  };
}
