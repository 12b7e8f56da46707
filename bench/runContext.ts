import type { ProcessGroups } from './cpu.js';
import { processTree } from './cpu.js';
import type { BenchDatabase } from './database.js';
import type { Measurement } from './results.js';
import type { BenchSettings } from './settings.js';
import { readStatementStats, resetStatementStats, type StatementShare, type StatementStatsAvailability } from './statementStats.js';

// What every measurement of one run shares (settings, database, pgbench, the figures so far), and
// the probes each measurement starts and reads around its load.

export interface RunContext {
  settings: BenchSettings;
  database: BenchDatabase;
  /** Whether per-statement figures (pg_stat_statements) can be had, and what to note if not all can. */
  statementStats: StatementStatsAvailability;
  pgbench: string;
  measurements: Measurement[];
  notes: string[];
  loadAverageAtStart: number[];
}

/** Right before a load starts (after settleDatabase, whose VACUUM and CHECKPOINT are not the load's): per-statement figures from zero. */
export async function startStatementStats(context: RunContext): Promise<number | undefined> {
  return context.statementStats.available ? resetStatementStats(context.database.url) : undefined;
}

/** Right after the load: the statements that took the most execution time (none when the server lacks pg_stat_statements). */
export async function readStatements(database: BenchDatabase, since: number | undefined): Promise<{ statements?: StatementShare[] }> {
  return since === undefined ? {} : { statements: await readStatementStats(database.url, since) };
}

export function processGroups(database: BenchDatabase, pids: Record<string, number>): ProcessGroups {
  const groups: ProcessGroups = {};
  for (const [name, pid] of Object.entries(pids)) groups[name] = async () => [pid];
  const postmaster = database.postmasterPid;
  if (postmaster !== undefined) groups.postgres = () => processTree(postmaster);
  return groups;
}
