import type pg from 'pg';
import type { EntryRow } from '../ledgerRows.js';
import { ENTRY_COLUMNS, toEntryRow, type RawEntryRow } from './entryRows.js';

/**
 * An account's entries, newest first, starting below `beforeSequence` when given (keyset
 * pagination on the (account_id, sequence) index). Returns one row more than `limit` when more exist.
 */
// The table's own column is named in ORDER BY: a bare `sequence` would mean the text output column.
export async function listEntries(
  db: pg.Pool,
  accountId: string,
  limit: number,
  beforeSequence: bigint | undefined,
): Promise<EntryRow[]> {
  const result = await db.query<RawEntryRow>({
    name: 'list_entries',
    text: `SELECT ${ENTRY_COLUMNS} FROM ledger_entries
           WHERE account_id = $1 AND ($2::bigint IS NULL OR ledger_entries.sequence < $2::bigint)
           ORDER BY ledger_entries.sequence DESC LIMIT $3`,
    values: [accountId, beforeSequence?.toString() ?? null, limit + 1],
  });
  return result.rows.map(toEntryRow);
}
