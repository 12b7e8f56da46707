import { withClient } from './database.js';

// Where PostgreSQL's execution time goes during a measurement, per statement: pg_stat_statements,
// reset for the bench database right before the load and read right after. With
// pg_stat_statements.track = all the statements of trigger functions (plpgsql) appear on their own
// (a statement trigger that hashed a whole table per batch took 0.84 ms of a 2.2 ms write), and a
// caller's time includes theirs.

const STATEMENT_PREFIX_CHARS = 48;
const KEPT_ENTRIES = 10;
/**
 * The bench's own statements, not the system under test's: the wait sampler (pg_stat_activity),
 * the reset and the read (pg_stat_statements), settleDatabase, and the ledger counts. pgbench and
 * the service connect as the same user, so they are told apart by text, not by role. PostgreSQL
 * regular expressions, matched case-insensitively (`\y` is a word boundary there, `\b` a backspace).
 */
const BENCH_STATEMENT_PATTERNS = [
  'pg_stat_activity',
  'pg_stat_statements',
  '^\\s*(VACUUM|CHECKPOINT)\\y',
  '^\\s*SELECT\\s+count\\(\\*\\)\\s+AS\\s+(count|transactions)\\y',
];

export interface StatementShare {
  /** Execution time over the measurement's duration: the average number of backends running it. */
  share: number;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  /** Run inside a function or trigger; its time is also inside its caller's. */
  nested: boolean;
  statement: string;
}

/** Whether the extension's figures can be had for this database, and what the report should say if not all of them can. */
export interface StatementStatsAvailability {
  available: boolean;
  note?: string;
}

/**
 * Creates the extension in the (fresh) bench database and checks that it can be reset and read.
 * A server we did not start may lack it, not preload it, or not let us reset it: then the run goes
 * on without these figures.
 */
export async function enableStatementStats(url: string): Promise<StatementStatsAvailability> {
  try {
    await withClient(url, (client) => client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'));
    await readStatementStats(url, await resetStatementStats(url));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { available: false, note: `pg_stat_statements is not usable on this server (${reason}): no per-statement figures` };
  }
  const track = await withClient(url, async (client) => {
    const result = await client.query<{ track: string | null }>("SELECT current_setting('pg_stat_statements.track', true) AS track");
    return result.rows[0]?.track ?? 'unknown';
  });
  if (track === 'all') return { available: true };
  return { available: true, note: `pg_stat_statements.track is ${track}, not all: statements inside trigger functions count only in their caller` };
}

/** Forgets this database's statement figures; returns the moment (performance.now(), ms) they start from. */
export async function resetStatementStats(url: string): Promise<number> {
  await withClient(url, (client) =>
    // This database's entries only: on a shared server the others' figures stay.
    client.query('SELECT pg_stat_statements_reset(0::oid, (SELECT oid FROM pg_database WHERE datname = current_database()), 0::bigint)'),
  );
  return performance.now();
}

/** The statements with the most execution time since `sinceMs` (from resetStatementStats), most first. */
export async function readStatementStats(url: string, sinceMs: number): Promise<StatementShare[]> {
  const seconds = Math.max(0.001, (performance.now() - sinceMs) / 1000);
  const rows = await withClient(url, async (client) => {
    const result = await client.query<{ calls: string; total_ms: number; rows: string; toplevel: boolean; query: string }>(
      `SELECT calls, total_exec_time AS total_ms, rows, toplevel, query
       FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND NOT query ~* ANY($1)
       ORDER BY total_exec_time DESC
       LIMIT $2`,
      [BENCH_STATEMENT_PATTERNS, KEPT_ENTRIES],
    );
    return result.rows;
  });
  return rows.map((row) => {
    const calls = Number(row.calls);
    return {
      share: round(row.total_ms / 1000 / seconds, 100),
      calls,
      totalMs: round(row.total_ms, 10),
      meanMs: round(row.total_ms / Math.max(1, calls), 1000),
      rows: Number(row.rows),
      nested: !row.toplevel,
      statement: row.query.replace(/\s+/g, ' ').trim().slice(0, STATEMENT_PREFIX_CHARS).trimEnd(),
    };
  });
}

function round(value: number, per: number): number {
  return Math.round(value * per) / per;
}
