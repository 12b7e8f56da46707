import { withClient } from './database.js';

// The holds' invariants over the plain baseline's tables after the run, beside the ledger's
// (seed.ts): each account's pending sums are what its pending holds still reserve, each hold has
// the change that opened it, and each captured hold has exactly its ledger transaction, for the
// captured amount, and the change that names it.

const WRONG_PENDING_SUMS_SQL = `
SELECT count(*) AS count FROM baseline.accounts a
LEFT JOIN (SELECT source_account_id AS id, sum(amount - captured_amount) AS reserved
           FROM baseline.holds WHERE status = 'pending' GROUP BY 1) d ON d.id = a.id
LEFT JOIN (SELECT destination_account_id AS id, sum(amount - captured_amount) AS expected
           FROM baseline.holds WHERE status = 'pending' GROUP BY 1) c ON c.id = a.id
WHERE a.pending_debits <> coalesce(d.reserved, 0) OR a.pending_credits <> coalesce(c.expected, 0)`;

const HOLDS_WITHOUT_THEIR_WRITES_SQL = `
SELECT count(*) AS count FROM baseline.holds h
WHERE NOT EXISTS (SELECT 1 FROM baseline.hold_changes c WHERE c.hold_id = h.id AND c.status = 'pending' AND c.amount = h.amount)`;

const CAPTURES_WITHOUT_THEIR_WRITES_SQL = `
SELECT count(*) AS count FROM baseline.holds h
WHERE h.status = 'captured' AND (
  (SELECT count(*) FROM baseline.ledger_transactions t WHERE t.hold_id = h.id AND t.id = h.capture_transaction_id AND t.amount = h.captured_amount) <> 1
  OR (SELECT count(*) FROM baseline.hold_changes c WHERE c.hold_id = h.id AND c.transaction_id = h.capture_transaction_id) <> 1)`;

/** One line per broken invariant; empty when all hold. */
export async function checkPlainHolds(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const problems: string[] = [];
    const wrongSums = Number((await client.query<{ count: string }>(WRONG_PENDING_SUMS_SQL)).rows[0]!.count);
    if (wrongSums > 0) problems.push(`${wrongSums} accounts whose pending sums disagree with their pending holds`);
    const unopened = Number((await client.query<{ count: string }>(HOLDS_WITHOUT_THEIR_WRITES_SQL)).rows[0]!.count);
    if (unopened > 0) problems.push(`${unopened} holds without the pending change that opened them`);
    const captures = Number((await client.query<{ count: string }>(CAPTURES_WITHOUT_THEIR_WRITES_SQL)).rows[0]!.count);
    if (captures > 0) problems.push(`${captures} captured holds without exactly one ledger transaction and one change for their capture`);
    return problems;
  });
}
