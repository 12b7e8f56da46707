import type { InvariantCheck } from './ledgerInvariants.js';

// The invariants of holds and reversals, each one set-based query returning at most $1 examples.
// A hold's row carries its current state for reads; its appended changes are the record it must agree with.

export const HOLD_AND_REVERSAL_CHECKS: InvariantCheck[] = [
  {
    name: 'pending_sums_equal_holds',
    description: "each account's pending_debits and pending_credits equal the sums of its pending holds as source and as destination",
    sql: `WITH held AS (
            SELECT account_id, sum(debits) AS debits, sum(credits) AS credits FROM (
              SELECT source_account_id AS account_id, amount AS debits, 0 AS credits FROM holds WHERE status = 'pending'
              UNION ALL
              SELECT destination_account_id, 0, amount FROM holds WHERE status = 'pending'
            ) sides GROUP BY account_id
          )
          SELECT a.id, a.pending_debits::text, a.pending_credits::text,
                 coalesce(h.debits, 0)::text AS held_debits, coalesce(h.credits, 0)::text AS held_credits
          FROM accounts a LEFT JOIN held h ON h.account_id = a.id
          WHERE a.pending_debits <> coalesce(h.debits, 0) OR a.pending_credits <> coalesce(h.credits, 0)
          LIMIT $1`,
  },
  {
    name: 'captured_within_hold',
    description: 'a hold captures at most its amount, and only a captured hold has captured anything',
    sql: `SELECT id, status, amount::text, captured_amount::text FROM holds
          WHERE captured_amount > amount OR (status <> 'captured' AND captured_amount <> 0) OR (status = 'captured' AND captured_amount = 0)
          LIMIT $1`,
  },
  {
    name: 'hold_captures_match',
    description: "a captured hold's capture transaction exists and moves its captured amount between its accounts, naming it; every capture names a hold that names it",
    sql: `SELECT h.id AS hold_id, h.capture_transaction_id, t.id AS transaction_id FROM holds h
          FULL JOIN (SELECT id, hold_id, source_account_id, destination_account_id, amount FROM ledger_transactions WHERE hold_id IS NOT NULL) t
            ON t.id = h.capture_transaction_id
          WHERE (h.status = 'captured' OR t.id IS NOT NULL)
            AND (t.id IS NULL OR h.id IS NULL OR t.hold_id <> h.id OR t.source_account_id <> h.source_account_id
                 OR t.destination_account_id <> h.destination_account_id OR t.amount <> h.captured_amount)
          LIMIT $1`,
  },
  {
    name: 'hold_state_matches_changes',
    description: "a hold's status equals its latest appended change, which records what it captured or released",
    sql: `SELECT h.id, h.status, latest.status AS latest_change, latest.amount::text AS change_amount FROM holds h
          LEFT JOIN LATERAL (
            SELECT c.status, c.amount, c.transaction_id FROM hold_changes c WHERE c.hold_id = h.id
            ORDER BY c.status = 'pending' LIMIT 1
          ) latest ON true
          WHERE latest.status IS DISTINCT FROM h.status
             OR (h.status = 'captured' AND (latest.amount <> h.captured_amount OR latest.transaction_id IS DISTINCT FROM h.capture_transaction_id))
             OR (h.status IN ('pending', 'voided', 'expired') AND latest.amount <> h.amount)
          LIMIT $1`,
  },
  {
    name: 'reversals_within_original',
    description: "a transaction's reversals sum at most to its amount, move money back between its accounts, and are never reversed themselves",
    sql: `SELECT o.id, o.type, o.amount::text, sum(r.amount)::text AS reversed FROM ledger_transactions r
          JOIN ledger_transactions o ON o.id = r.reverses_transaction_id
          WHERE r.reverses_transaction_id IS NOT NULL
          GROUP BY o.id, o.type, o.amount
          HAVING sum(r.amount) > o.amount OR o.type = 'reversal'
              OR bool_or(r.source_account_id <> o.destination_account_id OR r.destination_account_id <> o.source_account_id)
          LIMIT $1`,
  },
];
