// Measures how long the verify invariants (checkLedgerInvariants, what `npm run verify` runs) take
// on a ledger of 1,000,000 entries, seeded with set-based SQL into a throwaway PostgreSQL.
//
//   npx tsx test/reliability/verifyTiming.ts            # 1,000,000 entries
//   VERIFY_TIMING_ENTRIES=200000 npx tsx test/reliability/verifyTiming.ts
//
// The ledger is valid (every invariant holds), so each check scans everything and reports nothing,
// which is the slow case: a run over a sound ledger. Shape: ACCOUNT_COUNT wallets, each funded by one
// deposit, then random transfers between them; every transaction has its outbox event with a
// payload shaped like the service's (CloudEvents envelope with the transaction and its entries).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureDatabase, startEmbeddedPostgres } from '../../src/db/embeddedPostgres.js';
import { migrateToLatest } from '../../src/db/migrations.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { freePort } from '../support/freePort.js';

const DEFAULT_ENTRY_COUNT = 1_000_000;
const ACCOUNT_COUNT = 10_000;
const DEPOSIT_AMOUNT = 1_000_000_000_000n;
const TRANSFER_AMOUNT_MAX = 1_000;
const RUNS = 3;
const POSTGRES_FLAGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_wal_size=4GB'];

function entryCount(): number {
  const raw = process.env.VERIFY_TIMING_ENTRIES;
  const count = raw ? Number(raw) : DEFAULT_ENTRY_COUNT;
  if (!Number.isInteger(count) || count < 2 * ACCOUNT_COUNT || count % 2 !== 0) {
    throw new Error(`VERIFY_TIMING_ENTRIES must be an even integer ≥ ${2 * ACCOUNT_COUNT}, got ${raw}`);
  }
  return count;
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`${label}: ${((performance.now() - started) / 1_000).toFixed(2)} s`);
  return result;
}

/** Accounts, then one row per ledger transaction: the wallets' deposits first, then random transfers. */
async function seedTransactions(client: pg.Client, transactionCount: number): Promise<void> {
  await client.query(`SELECT setseed(0.5)`);
  await client.query(
    `CREATE TEMP TABLE seed_accounts AS
     SELECT n AS account_index, gen_random_uuid() AS id FROM generate_series(0, $1::int) AS n`,
    [ACCOUNT_COUNT],
  );
  // Index 0 is the currency's settlement account; 1..ACCOUNT_COUNT are wallets.
  await client.query(
    `INSERT INTO accounts (id, kind, currency, created_at, updated_at)
     SELECT id, CASE WHEN account_index = 0 THEN 'settlement' ELSE 'user' END, 'USD', now(), now() FROM seed_accounts`,
  );
  await client.query(
    `CREATE TEMP TABLE seed_transactions AS
     WITH shape AS (
       SELECT n,
              CASE WHEN n <= $2 THEN 0 ELSE 1 + floor(random() * $2)::int END AS source_index,
              floor(random() * ($2 - 1))::int AS offset_index,
              CASE WHEN n <= $2 THEN $3::numeric ELSE 1 + floor(random() * $4)::numeric END AS amount
       FROM generate_series(1, $1::int) AS n
     )
     SELECT n, gen_random_uuid() AS id,
            CASE WHEN n <= $2 THEN 'deposit' ELSE 'transfer' END AS type,
            amount, source_index,
            CASE WHEN n <= $2 THEN n ELSE 1 + (source_index + offset_index) % $2 END AS destination_index,
            now() - interval '1 day' + n * interval '1 millisecond' AS created_at
     FROM shape`,
    [transactionCount, ACCOUNT_COUNT, DEPOSIT_AMOUNT.toString(), TRANSFER_AMOUNT_MAX],
  );
  await client.query(
    `INSERT INTO ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, metadata, created_at)
     SELECT t.id, t.type, t.amount, 'USD', s.id, d.id, '{}'::jsonb, t.created_at
     FROM seed_transactions t
     JOIN seed_accounts s ON s.account_index = t.source_index
     JOIN seed_accounts d ON d.account_index = t.destination_index
     ORDER BY t.n`,
  );
}

/** Two entries per transaction, numbered per account in transaction order with running balances. */
async function seedEntries(client: pg.Client): Promise<void> {
  await client.query(
    `INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
     SELECT gen_random_uuid(), side.transaction_id, side.account_id, side.direction, side.amount,
            sum(side.signed_amount) OVER per_account AS balance_after,
            row_number() OVER per_account AS sequence,
            side.created_at
     FROM (
       SELECT t.n, t.id AS transaction_id, a.id AS account_id, 'debit' AS direction, t.amount, -t.amount AS signed_amount, t.created_at
       FROM seed_transactions t JOIN seed_accounts a ON a.account_index = t.source_index
       UNION ALL
       SELECT t.n, t.id, a.id, 'credit', t.amount, t.amount, t.created_at
       FROM seed_transactions t JOIN seed_accounts a ON a.account_index = t.destination_index
     ) side
     WINDOW per_account AS (PARTITION BY side.account_id ORDER BY side.n ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`,
  );
  await client.query(
    `UPDATE accounts a SET balance = totals.balance, version = totals.entries, updated_at = now()
     FROM (
       SELECT account_id, sum(CASE WHEN direction = 'credit' THEN amount ELSE -amount END) AS balance, count(*) AS entries
       FROM ledger_entries GROUP BY account_id
     ) totals
     WHERE a.id = totals.account_id`,
  );
}

/** Every transaction's event, published, with a payload shaped like the service's (see docs/contracts). */
async function seedOutbox(client: pg.Client): Promise<void> {
  await client.query(
    `INSERT INTO outbox (event_id, event_type, routing_key, payload, created_at, published_at)
     SELECT gen_random_uuid(), t.type || '.posted', 'ledger.' || t.type || '.posted',
            jsonb_build_object(
              'specversion', '1.0', 'id', gen_random_uuid(), 'source', '/wallet-ledger-service',
              'type', t.type || '.posted', 'time', t.created_at, 'subject', t.id, 'datacontenttype', 'application/json',
              'data', jsonb_build_object(
                'id', t.id, 'type', t.type, 'status', 'posted', 'amount', t.amount::text, 'currency', t.currency,
                'source_account_id', t.source_account_id, 'destination_account_id', t.destination_account_id,
                'description', NULL, 'metadata', t.metadata, 'created_at', t.created_at,
                'entries', (SELECT jsonb_agg(jsonb_build_object(
                  'id', e.id, 'transaction_id', e.transaction_id, 'account_id', e.account_id, 'direction', e.direction,
                  'amount', e.amount::text, 'balance_after', e.balance_after::text, 'sequence', e.sequence, 'created_at', e.created_at))
                  FROM ledger_entries e WHERE e.transaction_id = t.id))),
            t.created_at, t.created_at
     FROM ledger_transactions t`,
  );
}

async function seed(client: pg.Client, entries: number): Promise<void> {
  await timed('seed transactions', () => seedTransactions(client, entries / 2));
  await timed('seed entries and balances', () => seedEntries(client));
  await timed('seed outbox events', () => seedOutbox(client));
  // What autovacuum would have done on a live ledger: statistics for the planner, visibility map.
  await timed('vacuum analyze', () => client.query('VACUUM ANALYZE'));
  const sizes = await client.query(
    `SELECT (SELECT count(*) FROM ledger_entries)::int AS entries, (SELECT count(*) FROM ledger_transactions)::int AS transactions,
            (SELECT count(*) FROM accounts)::int AS accounts, (SELECT count(*) FROM outbox)::int AS outbox_events,
            pg_size_pretty(pg_database_size(current_database())) AS database_size`,
  );
  console.log(`ledger: ${JSON.stringify(sizes.rows[0])}`);
}

async function measure(client: pg.Client): Promise<void> {
  const settings = await client.query(`SELECT current_setting('shared_buffers') AS shared_buffers, current_setting('work_mem') AS work_mem, version()`);
  console.log(`server: ${JSON.stringify(settings.rows[0])}`);
  for (let run = 1; run <= RUNS; run += 1) {
    const { db, queryMs } = timingQueries(client);
    const results = await timed(`checkLedgerInvariants, run ${run}`, () => checkLedgerInvariants(db));
    console.log(`  ${results.map((result, index) => `${result.name} ${(queryMs[index]! / 1_000).toFixed(2)} s`).join(', ')}`);
    const violations = describeViolations(results);
    if (violations.length > 0) throw new Error(`the seeded ledger should be sound:\n${violations.join('\n')}`);
  }
}

/** The client, with each query's duration recorded in order (one query per invariant). */
function timingQueries(client: pg.Client): { db: pg.Client; queryMs: number[] } {
  const queryMs: number[] = [];
  const db = {
    query: async (text: string, values: unknown[]) => {
      const started = performance.now();
      const result = await client.query(text, values);
      queryMs.push(performance.now() - started);
      return result;
    },
  };
  return { db: db as unknown as pg.Client, queryMs };
}

async function main(): Promise<void> {
  const entries = entryCount();
  const root = await mkdtemp(path.join(os.tmpdir(), 'ledger-verify-timing-'));
  // Run as root, the server runs as the `postgres` user, which must be able to enter this folder.
  await chmod(root, 0o755);
  const server = await startEmbeddedPostgres(path.join(root, 'data'), await freePort(), { persistent: false, postgresFlags: POSTGRES_FLAGS });
  try {
    const databaseUrl = await ensureDatabase(server.serverUrl, 'verify_timing');
    await migrateToLatest(databaseUrl);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await seed(client, entries);
      await measure(client);
    } finally {
      await client.end();
    }
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
