import type pg from 'pg';
import type { EntryRow } from '../ledgerRows.js';
import { ENTRY_COLUMNS, toEntryRow, type RawEntryRow } from './entryRows.js';

/** A window of creation times, half-open: [from, to). Either end may be left open. */
export interface EntryTimeWindow {
  /** RFC 3339 text; created_at at or after it. */
  from?: string;
  /** RFC 3339 text; created_at before it. */
  to?: string;
}

/**
 * An account's entries, newest first, starting below `beforeSequence` when given (keyset
 * pagination on the (account_id, sequence) index), within `window`. Returns one row more than
 * `limit` when more exist.
 *
 * Unnamed on purpose: PostgreSQL plans an unnamed statement with its values each time, so that a
 * narrow window is read along ledger_entries_account_time and no window along the sequence order;
 * one generic plan would walk the account's whole history backwards to reach an old window.
 */
// The table's own column is named in ORDER BY: a bare `sequence` would mean the text output column.
export async function listEntries(
  db: pg.Pool,
  accountId: string,
  limit: number,
  beforeSequence: bigint | undefined,
  window: EntryTimeWindow = {},
): Promise<EntryRow[]> {
  const result = await db.query<RawEntryRow>({
    text: `SELECT ${ENTRY_COLUMNS} FROM ledger_entries
           WHERE account_id = $1 AND ($2::bigint IS NULL OR ledger_entries.sequence < $2::bigint)
             AND ($4::timestamptz IS NULL OR created_at >= $4::timestamptz)
             AND ($5::timestamptz IS NULL OR created_at < $5::timestamptz)
           ORDER BY ledger_entries.sequence DESC LIMIT $3`,
    values: [accountId, beforeSequence?.toString() ?? null, limit + 1, window.from ?? null, window.to ?? null],
  });
  return result.rows.map(toEntryRow);
}
