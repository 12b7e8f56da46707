import type pg from 'pg';

/**
 * A ledger transaction's source and destination (they never change), 'multi_leg' when it has legs
 * instead, or undefined when it does not exist.
 */
export async function readTransactionAccounts(
  db: pg.Pool,
  id: string,
): Promise<{ sourceAccountId: string; destinationAccountId: string } | 'multi_leg' | undefined> {
  const result = await db.query<{ source_account_id: string | null; destination_account_id: string | null }>({
    name: 'read_transaction_accounts',
    text: 'SELECT source_account_id, destination_account_id FROM ledger_transactions WHERE id = $1',
    values: [id],
  });
  const row = result.rows[0];
  if (!row) return undefined;
  if (row.source_account_id === null || row.destination_account_id === null) return 'multi_leg';
  return { sourceAccountId: row.source_account_id, destinationAccountId: row.destination_account_id };
}
