import type pg from 'pg';
import type { EntryRow, TransactionRow } from '../resources.js';
import { ENTRY_COLUMNS, toEntryRow, type RawEntryRow } from './entryRows.js';

type RawTransactionRow = Omit<TransactionRow, 'amount'> & { amount: string };

/** A transaction with its entries, debit first (as the write path returned them). */
export async function readTransaction(
  db: pg.Pool,
  id: string,
): Promise<{ transaction: TransactionRow; entries: EntryRow[] } | undefined> {
  const found = await db.query<RawTransactionRow>({
    name: 'read_transaction',
    text: `SELECT id, type, status, amount::text AS amount, currency, source_account_id, destination_account_id,
             description, metadata, created_at
           FROM ledger_transactions WHERE id = $1`,
    values: [id],
  });
  const raw = found.rows[0];
  if (!raw) return undefined;
  const entries = await db.query<RawEntryRow>({
    name: 'read_transaction_entries',
    text: `SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE transaction_id = $1 ORDER BY direction DESC, id`,
    values: [id],
  });
  return { transaction: { ...raw, amount: BigInt(raw.amount) }, entries: entries.rows.map(toEntryRow) };
}
