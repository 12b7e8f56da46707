import { settlementAccountId } from '../src/ids.js';
import { ACCOUNT_ID_SQL, CURRENCY, OPENING_BALANCE } from './accounts.js';
import { withClient } from './database.js';

// The read bench's ledger, loaded with set-based SQL straight into the tables (not through the
// API): the seeded accounts, each opened and funded HISTORY_DAYS ago by a deposit from the
// settlement account, then `transactions` transfers between them spread evenly over the days
// since, each with its two entries (per-account sequences and running balances from window
// functions), and the accounts' balances and versions set to their last entries. The database's
// own ledger checks (double entry, references) run on these statements as on the service's.
// Account i carries metadata {"segment": "s<i mod 100>"}; transfer n carries
// {"order": "o<n>", "channel": web|app|pos}.

export const HISTORY_DAYS = 30;
/** The history ends this long before the load, so the service's own writes come after it. */
const HISTORY_END_BEFORE_NOW_MINUTES = 10;
export const ACCOUNT_SEGMENTS = 100;
export const CHANNELS = ['web', 'app', 'pos'] as const;

function loadSql(accounts: number, transactions: number): string {
  // Every value is a constant of this module or a count: nothing here comes from outside.
  const settlement = `'${settlementAccountId(CURRENCY)}'::uuid`;
  const balance = `${OPENING_BALANCE}::numeric`;
  const count = Math.trunc(accounts);
  const total = Math.trunc(transactions);
  const start = `(now() - interval '${HISTORY_DAYS} days' - interval '${HISTORY_END_BEFORE_NOW_MINUTES} minutes')`;
  const step = `(interval '${HISTORY_DAYS} days' / ${total + 1})`;
  const accountId = (number: string) => ACCOUNT_ID_SQL.replaceAll('n::text', `(${number})::text`);
  return `
INSERT INTO accounts (id, kind, currency, balance, version, created_at, updated_at)
VALUES (${settlement}, 'settlement', '${CURRENCY}', -(${balance} * ${count}), ${count}, ${start}, ${start});

INSERT INTO accounts (id, kind, currency, balance, version, metadata, created_at, updated_at)
SELECT ${accountId('n')}, 'user', '${CURRENCY}', ${balance}, 1, jsonb_build_object('segment', 's' || (n % ${ACCOUNT_SEGMENTS})),
  ${start}, ${start}
FROM generate_series(1, ${count}) AS n;

CREATE TEMP TABLE opening AS
SELECT n, ('00000000-0000-4000-9000-' || lpad(n::text, 12, '0'))::uuid AS id, ${accountId('n')} AS account FROM generate_series(1, ${count}) AS n;

INSERT INTO ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, description, created_at)
SELECT id, 'deposit', ${balance}, '${CURRENCY}', ${settlement}, account, 'bench opening deposit', ${start} FROM opening;

INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
SELECT gen_random_uuid(), id, ${settlement}, 'debit', ${balance}, -(${balance} * n), n, ${start} FROM opening
UNION ALL
SELECT gen_random_uuid(), id, account, 'credit', ${balance}, ${balance}, 1, ${start} FROM opening;

-- Transfer n: from account s = n * 7919 mod count to s + 1 + (n mod (count - 1)), never itself.
CREATE TEMP TABLE planned AS
SELECT n, ('00000000-0000-4000-a000-' || lpad(n::text, 12, '0'))::uuid AS id,
  ${accountId(`1 + (n * 7919) % ${count}`)} AS source,
  ${accountId(`1 + ((n * 7919) % ${count} + 1 + n % ${count - 1}) % ${count}`)} AS destination,
  1 + n % 1000 AS amount, ${start} + n * ${step} AS created_at,
  jsonb_build_object('order', 'o' || n, 'channel', (ARRAY['${CHANNELS.join("','")}'])[1 + n % ${CHANNELS.length}]) AS metadata
FROM generate_series(1::bigint, ${total}) AS n;

INSERT INTO ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, metadata, created_at)
SELECT id, 'transfer', amount, '${CURRENCY}', source, destination, metadata, created_at FROM planned;

INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
SELECT gen_random_uuid(), side.id, side.account, side.direction, side.amount,
  ${balance} + sum(side.signed) OVER running, 1 + row_number() OVER running, side.created_at
FROM (
  SELECT n, id, source AS account, 'debit' AS direction, amount, -amount AS signed, created_at FROM planned
  UNION ALL
  SELECT n, id, destination, 'credit', amount, amount, created_at FROM planned
) side
WINDOW running AS (PARTITION BY side.account ORDER BY side.n ROWS UNBOUNDED PRECEDING);

UPDATE accounts a SET balance = last.balance_after, version = last.sequence
FROM (SELECT DISTINCT ON (account_id) account_id, balance_after, sequence FROM ledger_entries
      WHERE account_id <> ${settlement} ORDER BY account_id, sequence DESC) last
WHERE a.id = last.account_id;

DROP TABLE planned, opening;
`;
}

/** Loads the accounts and `transactions` transfers, then vacuums, so index-only scans and statistics are ready. */
export async function loadReadLedger(url: string, accounts: number, transactions: number): Promise<void> {
  await withClient(url, async (client) => {
    // One simple-protocol query string: its statements run in one implicit database transaction.
    await client.query(loadSql(accounts, transactions));
    await client.query('VACUUM (ANALYZE)');
  });
}
