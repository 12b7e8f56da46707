import type pg from 'pg';
import { withTimeout } from '../timeouts.js';

// The WAL position a write's answer carries (X-Ledger-Position): a position at or after the commit
// record of every batch committed so far. A position read inside the batch's database transaction
// would come before its commit record, so it is read after the commit, on any primary connection.
//
// The insert position (pg_current_wal_insert_lsn) rather than the write position
// (pg_current_wal_lsn): it is past every record already inserted, flushed or not, so it holds
// under synchronous_commit=off too; with it on, the two differ only by WAL still being written.
//
// Coalesced: one query in flight per process. A query already sent when a batch's answers arrive
// may have been sent before that commit, so those answers wait for the next query, which then
// serves every answer that arrived meanwhile: at most one small query per batch, not per write.

/** A write's answer does not wait longer than this for its position; it goes without one instead. */
const POSITION_READ_TIMEOUT_MS = 1_000;

export class CommitPositions {
  private sent: Promise<string> | undefined;
  private queued: Promise<string> | undefined;

  constructor(private readonly pool: pg.Pool) {}

  /** A position (PostgreSQL's LSN text) at or after every commit that finished before this call. */
  after(): Promise<string> {
    if (this.sent === undefined) return this.send();
    this.queued ??= this.sent.then(ignore, ignore).then(() => {
      this.queued = undefined;
      return this.send();
    });
    return this.queued;
  }

  private send(): Promise<string> {
    const sent = withTimeout(readInsertPosition(this.pool), POSITION_READ_TIMEOUT_MS).finally(() => {
      if (this.sent === sent) this.sent = undefined;
    });
    this.sent = sent;
    return sent;
  }
}

async function readInsertPosition(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ position: string }>({
    name: 'read_wal_insert_position',
    text: 'SELECT pg_current_wal_insert_lsn()::text AS position',
  });
  return rows[0]!.position;
}

function ignore(): void {}
