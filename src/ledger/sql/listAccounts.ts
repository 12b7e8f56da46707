import type pg from 'pg';
import type { AccountRow } from '../ledgerRows.js';
import type { ListPosition } from '../listPosition.js';
import { ACCOUNT_COLUMNS, toAccountRow, type RawAccountRow } from './accountRows.js';

/** What accounts are listed; an undefined field does not filter. */
export interface AccountFilters {
  currency?: string;
  status?: string;
  externalRef?: string;
  /** Every key must hold this string value (metadata @> the object). */
  metadata?: Record<string, string>;
}

export interface ListedAccount {
  account: AccountRow;
  position: ListPosition;
}

/**
 * Accounts matching every given filter, newest first (created_at, then id), starting below
 * `after`. Returns one row more than `limit` when more exist. A plain SELECT: it takes no lock.
 *
 * Unnamed on purpose: PostgreSQL plans an unnamed statement with its values each time, so the
 * filters left out fold away and the plan picks the index of those given (accounts_currency_created,
 * the external_ref key, the accounts_metadata GIN index, or accounts_created for the order). A
 * named statement may settle on one generic plan for every combination.
 */
export async function listAccounts(db: pg.Pool, filters: AccountFilters, limit: number, after: ListPosition): Promise<ListedAccount[]> {
  const result = await db.query<RawAccountRow & { position_created_at: string }>({
    text: `SELECT ${ACCOUNT_COLUMNS},
             to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position_created_at
           FROM accounts
           WHERE ($1::text IS NULL OR currency = $1::text)
             AND ($2::text IS NULL OR status = $2::text)
             AND ($3::text IS NULL OR external_ref = $3::text)
             AND ($4::jsonb IS NULL OR metadata @> $4::jsonb)
             AND (created_at, id) < ($5::timestamptz, $6::uuid)
           ORDER BY created_at DESC, id DESC LIMIT $7`,
    values: [
      filters.currency ?? null,
      filters.status ?? null,
      filters.externalRef ?? null,
      filters.metadata ? JSON.stringify(filters.metadata) : null,
      after.createdAt,
      after.id,
      limit + 1,
    ],
  });
  return result.rows.map(({ position_created_at: createdAt, ...raw }) => ({
    account: toAccountRow(raw),
    position: { createdAt, id: raw.id },
  }));
}
