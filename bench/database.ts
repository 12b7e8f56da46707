import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embeddedPostgres.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { freePort } from '../test/support/freePort.js';

// The benchmark's database: an embedded PostgreSQL of its own (or BENCH_DATABASE_URL's server),
// with a fresh database migrated by the project's own migrations.

/**
 * Durability stays on (fsync, synchronous_commit, full_page_writes): a ledger is measured the way
 * it runs. Enough connections for 64 pgbench clients beside the service's pool. pg_stat_statements
 * tracks statements inside functions too (track=all), so trigger functions show their own cost.
 */
export const EMBEDDED_POSTGRES_FLAGS = [
  '-c', 'max_connections=200', '-c', 'shared_buffers=256MB',
  '-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all',
];

export interface BenchDatabase {
  url: string;
  description: string;
  /** Pid of the postmaster when this run started the server (for CPU accounting), else undefined. */
  postmasterPid: number | undefined;
  /** The embedded server's data directory (its disk is the WAL's); undefined with BENCH_DATABASE_URL. */
  dataDirectory: string | undefined;
  serverVersion: string;
  settings: Record<string, string>;
  stop(): Promise<void>;
}

export async function openBenchDatabase(givenUrl: string | undefined, extraFlags: string[]): Promise<BenchDatabase> {
  const server = givenUrl ? { serverUrl: givenUrl, stop: async () => {}, dataDir: undefined } : await startServer(extraFlags);
  const url = await ensureDatabase(server.serverUrl, `ledger_bench_${Date.now()}`);
  await migrateToLatest(url);
  const postmasterPid = server.dataDir ? await readPostmasterPid(server.dataDir) : undefined;
  const { serverVersion, settings } = await readServerSettings(url);
  return {
    url,
    description: givenUrl ? 'BENCH_DATABASE_URL' : `embedded PostgreSQL ${serverVersion}`,
    postmasterPid,
    dataDirectory: server.dataDir,
    serverVersion,
    settings,
    stop: server.stop,
  };
}

async function startServer(extraFlags: string[]) {
  const dataRoot = await mkdtemp(path.join(os.tmpdir(), 'ledger-bench-pg-'));
  // Run as root, the server runs as the `postgres` user, which must be able to enter this folder.
  await chmod(dataRoot, 0o755);
  const dataDir = path.join(dataRoot, 'data');
  const port = await freePort();
  const server = await startEmbeddedPostgres(dataDir, port, {
    persistent: false,
    postgresFlags: [...EMBEDDED_POSTGRES_FLAGS, ...extraFlags],
  });
  return {
    serverUrl: server.serverUrl,
    dataDir,
    stop: async () => {
      await server.stop().catch(() => {});
      await rm(dataRoot, { recursive: true, force: true });
    },
  };
}

async function readPostmasterPid(dataDir: string): Promise<number | undefined> {
  const content = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(content?.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

const REPORTED_SETTINGS = ['fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections', 'wal_level'];

async function readServerSettings(url: string) {
  return withClient(url, async (client) => {
    const version = await client.query<{ server_version: string }>('SHOW server_version');
    const rows = await client.query<{ name: string; setting: string; unit: string | null }>(
      'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)',
      [REPORTED_SETTINGS],
    );
    const settings = Object.fromEntries(rows.rows.map((row) => [row.name, row.unit ? `${row.setting} ${row.unit}` : row.setting]));
    return { serverVersion: version.rows[0]!.server_version, settings };
  });
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'wallet-ledger-bench' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Between runs: dead row versions of the hot rows cleaned and dirty pages flushed, so no run pays for the last. */
export async function settleDatabase(url: string): Promise<void> {
  await withClient(url, async (client) => {
    // Every table: the previous scenario's inserts cross autovacuum's thresholds, and a vacuum of
    // the ledger tables starting mid-scenario took a fifth off that scenario's throughput.
    await client.query('VACUUM (ANALYZE)');
    // CHECKPOINT needs a superuser (or pg_checkpoint): on a given server without one, runs go without.
    await client.query('CHECKPOINT').catch(() => {});
  });
}

/** The service's tables (the project schema, `public`) or the plain baseline's (plainBaseline.ts). */
export type LedgerSchema = 'public' | 'baseline';

const COUNT_LEDGER_TRANSACTIONS: Record<LedgerSchema, string> = {
  public: 'SELECT count(*) AS count FROM public.ledger_transactions',
  baseline: 'SELECT count(*) AS count FROM baseline.ledger_transactions',
};

export async function countLedgerTransactions(url: string, schema: LedgerSchema = 'public'): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query<{ count: string }>(COUNT_LEDGER_TRANSACTIONS[schema]);
    return Number(result.rows[0]!.count);
  });
}

/**
 * Operations written since `since` (ledger transactions, and holds, which write none until their
 * capture) and the batches they came in: the write path stamps every operation of a batch with the
 * batch's one clock reading, so distinct stamps count batches (two partitions stamping the same
 * millisecond count as one: a slight undercount).
 */
export async function batchesSince(url: string, since: Date): Promise<{ operations: number; batches: number }> {
  return withClient(url, async (client) => {
    const result = await client.query<{ operations: string; batches: string }>(
      `WITH stamps AS (
         SELECT created_at FROM ledger_transactions WHERE created_at >= $1
         UNION ALL
         SELECT created_at FROM holds WHERE created_at >= $1
       )
       SELECT count(*) AS operations, count(DISTINCT created_at) AS batches FROM stamps`,
      [since],
    );
    return { operations: Number(result.rows[0]!.operations), batches: Number(result.rows[0]!.batches) };
  });
}
