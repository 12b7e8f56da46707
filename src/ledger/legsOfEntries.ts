import type { EntryRow, LegRow } from './ledgerRows.js';

// A multi-leg transaction keeps its legs as its entries (migrations/*_multi-leg-transactions.sql):
// the write path mints a debit and a credit per leg, in leg order, with time-ordered ids from one
// writer, so the entries ordered by id pair back into the legs.

/**
 * A multi-leg transaction's legs, from its entries: ordered by id (minted in leg order), each
 * consecutive debit and credit is one leg, in the currency of its accounts.
 */
export function legsOfEntries(entries: readonly EntryRow[], currencyOf: (accountId: string) => string): LegRow[] {
  const ordered = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const legs: LegRow[] = [];
  for (let index = 0; index + 1 < ordered.length; index += 2) {
    const debit = ordered[index]!;
    const credit = ordered[index + 1]!;
    if (debit.direction !== 'debit' || credit.direction !== 'credit' || debit.amount !== credit.amount) {
      throw new Error(`invariant: the entries of multi-leg transaction ${debit.transaction_id} do not pair into legs`);
    }
    legs.push({ source_account_id: debit.account_id, destination_account_id: credit.account_id, amount: debit.amount, currency: currencyOf(debit.account_id) });
  }
  return legs;
}
