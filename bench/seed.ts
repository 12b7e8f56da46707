import { settlementAccountId } from '../src/ids.js';
import { ACCOUNT_ID_SQL, CURRENCY, OPENING_BALANCE } from './accounts.js';
import { withClient, type LedgerSchema } from './database.js';

// Seeds the funded accounts directly with SQL, as the service would have written them: each
// account got one deposit from the currency's settlement account, so balances sum to 0, every
// balance equals its entries, and every version is its last entry's sequence.

function seedSql(accounts: number): string {
  // Every value is a constant of this module or a count: nothing here comes from outside.
  const settlement = `'${settlementAccountId(CURRENCY)}'::uuid`;
  const balance = `${OPENING_BALANCE}::numeric`;
  const count = Math.trunc(accounts);
  const seedTransactionId = `('00000000-0000-4000-9000-' || lpad(n::text, 12, '0'))::uuid`;
  return `
CREATE SCHEMA bench;

-- Seeded account number to id (the same mapping as bench/accounts.ts).
CREATE FUNCTION bench.account_id(n integer) RETURNS uuid IMMUTABLE LANGUAGE sql AS $$ SELECT ${ACCOUNT_ID_SQL} $$;

-- Time-ordered UUIDs (version 7) like the service's, so the baseline's index inserts land where the service's do.
CREATE FUNCTION bench.uuid_v7() RETURNS uuid VOLATILE LANGUAGE sql AS $$
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
    52, 1), 53, 1), 'hex')::uuid
$$;

INSERT INTO accounts (id, kind, currency, balance, version, created_at, updated_at)
VALUES (${settlement}, 'settlement', '${CURRENCY}', -(${balance} * ${count}), ${count}, now(), now());

INSERT INTO accounts (id, kind, currency, balance, version, created_at, updated_at)
SELECT bench.account_id(n), 'user', '${CURRENCY}', ${balance}, 1, now(), now() FROM generate_series(1, ${count}) AS n;

INSERT INTO ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, description, created_at)
SELECT ${seedTransactionId}, 'deposit', ${balance}, '${CURRENCY}', ${settlement}, bench.account_id(n), 'bench seed', now()
FROM generate_series(1, ${count}) AS n;

INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
SELECT gen_random_uuid(), ${seedTransactionId}, ${settlement}, 'debit', ${balance}, -(${balance} * n), n, now()
FROM generate_series(1, ${count}) AS n
UNION ALL
SELECT gen_random_uuid(), ${seedTransactionId}, bench.account_id(n), 'credit', ${balance}, ${balance}, 1, now()
FROM generate_series(1, ${count}) AS n;
`;
}

export async function seedAccounts(url: string, accounts: number): Promise<void> {
  await withClient(url, async (client) => {
    // One simple-protocol query string: its statements run in one implicit database transaction.
    await client.query(seedSql(accounts));
    await client.query('VACUUM (ANALYZE)');
  });
}

export interface LedgerCheck {
  passed: boolean;
  /** One line per broken invariant; empty when all hold. */
  problems: string[];
  transactions: number;
}

/** The ledger's invariants, checked over a whole schema's ledger after the run (the plain baseline's too). */
export async function checkLedger(url: string, schema: LedgerSchema = 'public'): Promise<LedgerCheck> {
  return withClient(url, async (client) => {
    // The same queries on either set of tables: the schema's names come first.
    await client.query('SELECT set_config($1, $2, false)', ['search_path', schema]);
    const problems: string[] = [];
    const sums = await client.query<{ currency: string; total: string }>(
      'SELECT currency, sum(balance)::text AS total FROM accounts GROUP BY currency HAVING sum(balance) <> 0',
    );
    for (const row of sums.rows) problems.push(`${row.currency} balances sum to ${row.total}, not 0`);
    const drift = await client.query<{ count: string }>(`
      SELECT count(*) AS count FROM accounts a
      LEFT JOIN (SELECT account_id, sum(CASE direction WHEN 'credit' THEN amount ELSE -amount END) AS net,
                        max(sequence) AS last_sequence, count(*) AS entries
                 FROM ledger_entries GROUP BY account_id) e ON e.account_id = a.id
      WHERE a.balance <> coalesce(e.net, 0) OR a.version <> coalesce(e.last_sequence, 0)
         OR a.version <> coalesce(e.entries, 0) OR (a.kind = 'user' AND a.balance < 0)`);
    const drifted = Number(drift.rows[0]!.count);
    if (drifted > 0) problems.push(`${drifted} accounts whose balance or version disagrees with their entries`);
    const count = await client.query<{ count: string }>('SELECT count(*) AS count FROM ledger_transactions');
    return { passed: problems.length === 0, problems, transactions: Number(count.rows[0]!.count) };
  });
}
