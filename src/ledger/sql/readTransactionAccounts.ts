import type pg from 'pg';

/** A ledger transaction's source and destination (they never change), or undefined when it does not exist. */
export async function readTransactionAccounts(
  db: pg.Pool,
  id: string,
): Promise<{ sourceAccountId: string; destinationAccountId: string } | undefined> {
  const result = await db.query<{ source_account_id: string; destination_account_id: string }>({
    name: 'read_transaction_accounts',
    text: 'SELECT source_account_id, destination_account_id FROM ledger_transactions WHERE id = $1',
    values: [id],
  });
  const row = result.rows[0];
  return row && { sourceAccountId: row.source_account_id, destinationAccountId: row.destination_account_id };
}
