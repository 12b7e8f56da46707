import type { InvariantCheck } from './ledgerInvariants.js';

// The invariants of multi-leg transactions, each one set-based query returning at most $1 examples.
// A multi-leg transaction keeps its legs as its entries (migrations/*_multi-leg-transactions.sql):
// ordered by id, each debit is followed by the credit of its leg.

export const MULTI_LEG_CHECKS: InvariantCheck[] = [
  {
    name: 'multi_leg_balanced_per_currency',
    description: "each multi-leg transaction's debits equal its credits in every currency",
    sql: `SELECT t.id, a.currency FROM ledger_transactions t
          JOIN ledger_entries e ON e.transaction_id = t.id
          JOIN accounts a ON a.id = e.account_id
          WHERE t.type = 'multi_leg'
          GROUP BY t.id, a.currency
          HAVING sum(CASE WHEN e.direction = 'debit' THEN e.amount ELSE -e.amount END) <> 0
          LIMIT $1`,
  },
  {
    name: 'multi_leg_legs_paired',
    description: "each multi-leg transaction has 1 to 100 legs: its entries, ordered by id, are a debit and then a credit of equal amount in one currency, leg by leg",
    sql: `WITH ordered AS (
            SELECT t.id, e.direction, e.amount, a.currency,
                   row_number() OVER w AS position,
                   lead(e.direction) OVER w AS next_direction, lead(e.amount) OVER w AS next_amount,
                   lead(a.currency) OVER w AS next_currency,
                   count(*) OVER (PARTITION BY t.id) AS entries
            FROM ledger_transactions t
            LEFT JOIN ledger_entries e ON e.transaction_id = t.id
            LEFT JOIN accounts a ON a.id = e.account_id
            WHERE t.type = 'multi_leg'
            WINDOW w AS (PARTITION BY t.id ORDER BY e.id)
          )
          SELECT DISTINCT id FROM ordered
          WHERE entries % 2 <> 0 OR entries < 2 OR entries > 200
             OR (position % 2 = 1 AND (direction <> 'debit' OR next_direction IS DISTINCT FROM 'credit'
                 OR next_amount IS DISTINCT FROM amount OR next_currency IS DISTINCT FROM currency))
          LIMIT $1`,
  },
];
