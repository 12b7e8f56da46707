import type { EntryRow } from '../ledgerRows.js';

export const ENTRY_COLUMNS = `id, transaction_id, account_id, direction, amount::text AS amount,
  balance_after::text AS balance_after, sequence::text AS sequence, created_at`;

export type RawEntryRow = Omit<EntryRow, 'amount' | 'balance_after' | 'sequence'> & {
  amount: string;
  balance_after: string;
  sequence: string;
};

export function toEntryRow(raw: RawEntryRow): EntryRow {
  return { ...raw, amount: BigInt(raw.amount), balance_after: BigInt(raw.balance_after), sequence: BigInt(raw.sequence) };
}
