import type pg from 'pg';
import { ACCOUNT_CONTROL_CHECKS } from './accountControlInvariants.js';
import { HOLD_AND_REVERSAL_CHECKS } from './holdInvariants.js';
import { MULTI_LEG_CHECKS } from './multiLegInvariants.js';

// The ledger's invariants, each checked by one set-based query over the whole database. Used by
// `npm run verify` and by the tests. Each query returns at most a few example violations.

const EXAMPLES_MAX = 5;

export interface InvariantResult {
  name: string;
  description: string;
  violations: Record<string, unknown>[];
}

export interface InvariantCheck {
  name: string;
  description: string;
  sql: string;
}

const CHECKS: InvariantCheck[] = [
  {
    name: 'currency_sums_to_zero',
    description: 'for every currency the sum of all balances is 0',
    sql: `SELECT currency, sum(balance)::text AS total FROM accounts GROUP BY currency HAVING sum(balance) <> 0 LIMIT $1`,
  },
  {
    name: 'wallets_not_negative',
    description: 'no user account is below -overdraft_limit (0 when it has none)',
    sql: `SELECT id, balance::text, overdraft_limit::text FROM accounts WHERE kind = 'user' AND balance + overdraft_limit < 0 LIMIT $1`,
  },
  {
    name: 'balance_equals_entries',
    description: "every account's balance equals the sum of its entries and its last entry's balance_after, and version counts its entries and settings changes",
    sql: `WITH sums AS (
            SELECT account_id,
                   sum(CASE WHEN direction = 'credit' THEN amount ELSE -amount END) AS total,
                   count(*) AS entries,
                   max(sequence) AS last_sequence
            FROM ledger_entries GROUP BY account_id
          ), changes AS (
            SELECT account_id, count(*) AS changes, max(version) AS last_version FROM account_history GROUP BY account_id
          )
          SELECT a.id, a.balance::text AS balance, coalesce(s.total, 0)::text AS entries_total,
                 a.version, coalesce(s.entries, 0) AS entries, coalesce(c.changes, 0) AS changes,
                 last.balance_after::text AS last_balance_after
          FROM accounts a
          LEFT JOIN sums s ON s.account_id = a.id
          LEFT JOIN changes c ON c.account_id = a.id
          LEFT JOIN ledger_entries last ON last.account_id = a.id AND last.sequence = s.last_sequence
          WHERE a.balance <> coalesce(s.total, 0)
             OR a.version <> coalesce(s.entries, 0) + coalesce(c.changes, 0)
             OR a.version <> greatest(coalesce(s.last_sequence, 0), coalesce(c.last_version, 0))
             OR (s.entries > 0 AND last.balance_after <> a.balance)
          LIMIT $1`,
  },
  {
    name: 'sequences_without_gaps',
    description: "each account's entries and settings changes are numbered 1..version together, with balance_after running without jumps",
    // A settings change takes a version of its own (account_history), between the entries' sequences.
    sql: `SELECT account_id, sequence, balance_after::text, previous_balance::text, amount::text, direction FROM (
            SELECT account_id, sequence, balance_after, amount, direction,
                   lag(balance_after, 1, 0::numeric) OVER (PARTITION BY account_id, is_entry ORDER BY sequence) AS previous_balance,
                   row_number() OVER (PARTITION BY account_id ORDER BY sequence) AS position,
                   is_entry
            FROM (
              SELECT account_id, sequence, balance_after, amount, direction, true AS is_entry FROM ledger_entries
              UNION ALL
              SELECT account_id, version, NULL, NULL, NULL, false FROM account_history
            ) changes
          ) e
          WHERE sequence <> position
             OR (is_entry AND balance_after <> previous_balance + CASE WHEN direction = 'credit' THEN amount ELSE -amount END)
          LIMIT $1`,
  },
  {
    name: 'transactions_balanced',
    description: "every transaction's credits equal its debits, in exactly two entries (a multi-leg one's: see multi_leg_*)",
    sql: `SELECT t.id FROM ledger_transactions t
          LEFT JOIN ledger_entries e ON e.transaction_id = t.id
          WHERE t.type <> 'multi_leg'
          GROUP BY t.id, t.amount
          HAVING count(e.id) <> 2
              OR sum(CASE WHEN e.direction = 'debit' THEN e.amount ELSE 0 END) <> t.amount
              OR sum(CASE WHEN e.direction = 'credit' THEN e.amount ELSE 0 END) <> t.amount
          LIMIT $1`,
  },
  {
    name: 'transactions_have_events',
    description: 'every posted transaction (newer than the outbox retention) has its outbox event (pending, published or dead-lettered)',
    sql: `SELECT t.id FROM ledger_transactions t
          WHERE t.created_at >= $2
            AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_type = t.type || '.posted' AND coalesce(o.transaction_id, (o.payload ->> 'subject')::uuid) = t.id)
            AND NOT EXISTS (SELECT 1 FROM dead_letter d WHERE d.event_type = t.type || '.posted' AND coalesce(d.transaction_id, (d.payload ->> 'subject')::uuid) = t.id)
          LIMIT $1`,
  },
  ...HOLD_AND_REVERSAL_CHECKS,
  ...MULTI_LEG_CHECKS,
  ...ACCOUNT_CONTROL_CHECKS,
];

/** `eventsSince`: published events older than this may have been purged, so they are not required. */
export async function checkLedgerInvariants(db: pg.Pool | pg.ClientBase, eventsSince = new Date(0)): Promise<InvariantResult[]> {
  const results: InvariantResult[] = [];
  for (const check of CHECKS) {
    const parameters = check.sql.includes('$2') ? [EXAMPLES_MAX, eventsSince] : [EXAMPLES_MAX];
    const found = await db.query(check.sql, parameters);
    results.push({ name: check.name, description: check.description, violations: found.rows });
  }
  return results;
}

/** Names and first examples of every failed invariant; empty when the ledger is sound. */
export function describeViolations(results: InvariantResult[]): string[] {
  return results
    .filter((result) => result.violations.length > 0)
    .map((result) => `${result.name} (${result.description}): ${JSON.stringify(result.violations)}`);
}
