import type { InvariantCheck } from './ledgerInvariants.js';

// The invariants of account controls, each one set-based query returning at most $1 examples. The
// database's CHECKs refuse these states as they are written; verify finds them however they came.
// (A balance below -overdraft_limit is wallets_not_negative, in ledgerInvariants.ts.)

export const ACCOUNT_CONTROL_CHECKS: InvariantCheck[] = [
  {
    name: 'closed_accounts_empty',
    description: 'a closed account has a zero balance and no pending hold, as its source or its destination',
    sql: `SELECT a.id, a.balance::text, a.pending_debits::text, a.pending_credits::text, count(h.id) AS pending_holds
          FROM accounts a
          LEFT JOIN holds h ON h.status = 'pending' AND (h.source_account_id = a.id OR h.destination_account_id = a.id)
          WHERE a.status = 'closed'
          GROUP BY a.id
          HAVING a.balance <> 0 OR a.pending_debits <> 0 OR a.pending_credits <> 0 OR count(h.id) > 0
          LIMIT $1`,
  },
  {
    name: 'available_not_negative',
    description: 'no wallet reserves more in pending holds than its balance and overdraft limit allow',
    sql: `SELECT id, balance::text, overdraft_limit::text, pending_debits::text FROM accounts
          WHERE kind = 'user' AND balance + overdraft_limit < pending_debits
          LIMIT $1`,
  },
  {
    name: 'settlement_accounts_fixed',
    description: 'settlement accounts are active, with no overdraft limit and no settings changes',
    sql: `SELECT a.id, a.status, a.overdraft_limit::text FROM accounts a
          WHERE a.kind = 'settlement'
            AND (a.status <> 'active' OR a.overdraft_limit <> 0 OR EXISTS (SELECT 1 FROM account_history h WHERE h.account_id = a.id))
          LIMIT $1`,
  },
];
