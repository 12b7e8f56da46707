import pg from 'pg';
import { isServerError } from './sqlstate.js';

const CONNECT_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 30_000;
/** A statement running longer than this is cancelled rather than left to pile up locks. */
const STATEMENT_TIMEOUT_MS = 30_000;

export function createPool(databaseUrl: string, max: number, applicationName = 'wallet-ledger'): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: applicationName,
  });
  // A client that loses its connection emits 'error': idle ones through the pool, checked-out ones
  // on themselves (the pool stops listening while a client is out). Unheard, either would crash the
  // process; the failed query rejects anyway, and its caller handles that.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: unknown;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken = error;
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    // A client whose connection may be broken must not go back to the pool.
    client.release(broken !== undefined && !isServerError(broken) ? (broken as Error) : undefined);
  }
}
