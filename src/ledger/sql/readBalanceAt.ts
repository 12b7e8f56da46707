import type pg from 'pg';

/** An account's balance as of an instant: after its last entry at or before it. */
export interface BalanceAt {
  balance: bigint;
  /** The sequence of that entry; 0 before the account's first entry. */
  sequence: bigint;
}

interface RawBalanceAt {
  balance: string | null;
  sequence: string | null;
}

/**
 * The balance of an account as of `at` (RFC 3339 text, read by PostgreSQL to the microsecond), or
 * undefined when the account does not exist. One probe of ledger_entries_account_time, the last
 * entry at or before `at`, whose balance_after is the balance then: entries are never summed.
 */
export async function readBalanceAt(db: pg.Pool, accountId: string, at: string): Promise<BalanceAt | undefined> {
  const result = await db.query<RawBalanceAt>({
    name: 'read_balance_at',
    text: `SELECT last.balance_after::text AS balance, last.sequence::text AS sequence
           FROM accounts a
           LEFT JOIN LATERAL (
             SELECT e.balance_after, e.sequence FROM ledger_entries e
             WHERE e.account_id = a.id AND e.created_at <= $2::timestamptz
             ORDER BY e.created_at DESC, e.sequence DESC LIMIT 1
           ) last ON true
           WHERE a.id = $1`,
    values: [accountId, at],
  });
  const row = result.rows[0];
  if (!row) return undefined;
  return { balance: BigInt(row.balance ?? '0'), sequence: BigInt(row.sequence ?? '0') };
}
