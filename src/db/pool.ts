import pg from 'pg';
import { classifyDatabaseError } from './sqlstate.js';

const CONNECT_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 30_000;
/** A statement running longer than this is cancelled rather than left to pile up locks. */
const STATEMENT_TIMEOUT_MS = 30_000;

export interface PoolOptions {
  applicationName?: string;
  /**
   * Connections never closed for being idle (pg's `min`): a partition's next batch after a quiet
   * spell finds its connection open instead of paying a new backend's start-up and first plans.
   */
  keptConnections?: number;
  idleTimeoutMs?: number;
}

export function createPool(databaseUrl: string, max: number, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    min: Math.min(options.keptConnections ?? 0, max),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: options.applicationName ?? 'wallet-ledger',
    // Queries sent back to back go out without waiting for each other's answers: a batch that takes
    // two round trips sends BEGIN with its lock, then its write with COMMIT.
    pipeline: true,
  });
  // A client that loses its connection emits 'error': idle ones through the pool, checked-out ones
  // on themselves (the pool stops listening while a client is out). Unheard, either would crash the
  // process; the failed query rejects anyway, and its caller handles that.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * Runs `work` in one database transaction on a pooled connection. A connection whose state is
 * unknown (it errored, or the ROLLBACK itself failed) is destroyed, never returned to the pool
 * where later work could inherit it.
 */
export async function inDbTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let connectionBroken = false;
  const onConnectionError = () => {
    connectionBroken = true;
  };
  client.on('error', onConnectionError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A session the server ended, or one on a standby, is no use to the next transaction either.
    if (classifyDatabaseError(error).kind === 'connection_lost') connectionBroken = true;
    if (!connectionBroken) {
      await client.query('ROLLBACK').catch(() => {
        connectionBroken = true;
      });
    }
    throw error;
  } finally {
    client.removeListener('error', onConnectionError);
    client.release(connectionBroken);
  }
}
