import type pg from 'pg';
import type { LedgerTransactionRow, MultiLegTransactionRow, PostedLedgerTransaction } from '../ledgerRows.js';
import { ENTRY_COLUMNS, toEntryRow, type RawEntryRow } from './entryRows.js';
import { withLegs } from './multiLegRows.js';

/** A multi-leg transaction's amount is null (its legs have theirs), and so are its accounts. */
type RawLedgerTransactionRow = Omit<LedgerTransactionRow, 'amount'> & { amount: string | null; reversed_amount: string };

/**
 * The ledger transactions with these ids that exist, by id, each with its entries (debit first, as
 * the write path returned them), and what has been reversed of each. Serves GET /v1/transactions/{id}, and renders what is stored by
 * ledger transaction id: replayed postings and their outbox events.
 */
export async function readLedgerTransactions(
  queryable: pg.Pool | pg.PoolClient,
  ids: string[],
): Promise<Map<string, PostedLedgerTransaction>> {
  const [transactions, entries] = await Promise.all([
    queryable.query<RawLedgerTransactionRow>({
      name: 'read_ledger_transactions',
      text: `SELECT id, type, status, amount::text AS amount, currency, source_account_id, destination_account_id,
               description, metadata, hold_id, reverses_transaction_id, created_at,
               (SELECT coalesce(sum(r.amount), 0) FROM ledger_transactions r WHERE r.reverses_transaction_id = t.id)::text
                 AS reversed_amount
             FROM ledger_transactions t WHERE id = ANY($1::uuid[])`,
      values: [ids],
    }),
    queryable.query<RawEntryRow>({
      name: 'read_ledger_transactions_entries',
      text: `SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE transaction_id = ANY($1::uuid[]) ORDER BY direction DESC, id`,
      values: [ids],
    }),
  ]);
  const found = new Map<string, PostedLedgerTransaction>();
  for (const { reversed_amount: reversed, ...raw } of transactions.rows) {
    const transaction = raw.amount === null
      ? { ...(raw as unknown as Omit<MultiLegTransactionRow, 'legs'>), legs: [] }
      : { ...raw, amount: BigInt(raw.amount) };
    found.set(raw.id, { transaction, entries: [], reversedAmount: BigInt(reversed) });
  }
  for (const raw of entries.rows) found.get(raw.transaction_id)?.entries.push(toEntryRow(raw));
  await withLegs(queryable, found);
  return found;
}
