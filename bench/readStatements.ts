import { withClient } from './database.js';

// The database's own time for the read bench's reads (pg_stat_statements, this database's entries
// reset before a phase and read after it), told apart from the time a read spent queued in front
// of the database: a read's latency minus its statement's time is the service's and the machine's.

/** The read statements, recognised by their text (the write path's statements have none of these). */
const READ_STATEMENTS: Record<string, string> = {
  read_balance_at: 'LEFT JOIN LATERAL',
  list_entries: 'ledger_entries\\.sequence < \\$2',
  list_accounts: 'FROM accounts\\s+WHERE \\(\\$1::text IS NULL',
  list_ledger_transactions: 'position_created_at\\s+FROM \\(',
  read_ledger_transactions: 'AS reversed_amount',
  read_ledger_transactions_entries: 'ledger_entries WHERE transaction_id = ANY',
};

export interface ReadStatementTime {
  calls: number;
  meanMs: number;
  maxMs: number;
}

export async function resetReadStatementTimes(url: string): Promise<void> {
  await withClient(url, (client) =>
    client.query('SELECT pg_stat_statements_reset(0::oid, (SELECT oid FROM pg_database WHERE datname = current_database()), 0::bigint)'),
  );
}

/** Each read statement's calls and execution time since the reset; undefined where the server has no pg_stat_statements. */
export async function readReadStatementTimes(url: string): Promise<Record<string, ReadStatementTime> | undefined> {
  try {
    return await withClient(url, async (client) => {
      const times: Record<string, ReadStatementTime> = {};
      for (const [name, pattern] of Object.entries(READ_STATEMENTS)) {
        const result = await client.query<{ calls: string | null; mean: number | null; max: number | null }>(
          `SELECT sum(calls) AS calls, sum(total_exec_time) / nullif(sum(calls), 0) AS mean, max(max_exec_time) AS max
           FROM pg_stat_statements
           WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query ~ $1`,
          [pattern],
        );
        const row = result.rows[0];
        times[name] = { calls: Number(row?.calls ?? 0), meanMs: round3(row?.mean ?? 0), maxMs: round3(row?.max ?? 0) };
      }
      return times;
    });
  } catch {
    return undefined;
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
