import pg from 'pg';

// The one place that reads SQLSTATE codes and decides what a database error means to us.

export type DatabaseFailure =
  | { kind: 'unique_violation'; constraint: string | undefined }
  | { kind: 'serialization_failure' }
  | { kind: 'deadlock' }
  | { kind: 'idempotency_race' }
  | { kind: 'rows_changed' }
  | { kind: 'connection_lost' }
  | { kind: 'other' };

/** Raised by the write path's own SQL (migrations/*_idempotency-race-check.sql): another writer stored one of its keys first. */
const IDEMPOTENCY_RACE_CODE = 'WL001';
/** Raised by lock_accounts_as_planned (migrations/*_one-round-trip-batch.sql): an account changed since the plan's rows were read. */
const ROWS_CHANGED_CODE = 'WL002';
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

export function classifyDatabaseError(error: unknown): DatabaseFailure {
  const { code, constraint, message } = (error ?? {}) as { code?: string; constraint?: string; message?: string };
  if (code === '23505') return { kind: 'unique_violation', constraint };
  if (code === '40001') return { kind: 'serialization_failure' };
  if (code === '40P01') return { kind: 'deadlock' };
  if (code === IDEMPOTENCY_RACE_CODE) return { kind: 'idempotency_race' };
  if (code === ROWS_CHANGED_CODE) return { kind: 'rows_changed' };
  // Class 08 (connection exception), 57P01..57P03 (admin shutdown, crash shutdown, cannot connect now).
  if (code?.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return { kind: 'connection_lost' };
  // The server refusing the session counts the same: class 28 (wrong role or password), 3D000 (no
  // such database), 53300 (too many connections). To a request the database is out of reach.
  if (code?.startsWith('28') || code === '3D000' || code === '53300') return { kind: 'connection_lost' };
  // 25006 (read-only transaction): the session reached a standby, as when a proxy routes to a node
  // still being promoted in a failover. The primary is out of reach for this connection; a new one
  // goes where the proxy points now.
  if (code === '25006') return { kind: 'connection_lost' };
  if (code !== undefined && CONNECTION_ERROR_CODES.has(code)) return { kind: 'connection_lost' };
  if (message && /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(message)) {
    return { kind: 'connection_lost' };
  }
  return { kind: 'other' };
}

/** Failures after which running the same work again can succeed. */
export function isTransient(failure: DatabaseFailure): boolean {
  return failure.kind === 'serialization_failure' || failure.kind === 'deadlock' || failure.kind === 'connection_lost';
}

/**
 * An error the server reported in its answer to a statement: the connection itself is still good.
 * The server's errors that end the session (class 08, 57P01..57P03), or make it useless to a
 * writer (25006, a standby), do not count.
 */
export function isServerError(error: unknown): boolean {
  return error instanceof pg.DatabaseError && classifyDatabaseError(error).kind !== 'connection_lost';
}
