import type pg from 'pg';

// Runs `work` in one database transaction on a pooled connection. The relay's transactions hold
// its claims, so a connection whose state is unknown (it errored, or the ROLLBACK itself failed)
// is destroyed, never returned to the pool where a later claim could inherit it.

export async function inDbTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let connectionBroken = false;
  // The pool listens for errors only on idle clients. The relay's connection sits idle in its
  // transaction while publishing; if the server ends it then (timeout, restart, termination),
  // an unheard 'error' event would crash the process instead of failing this one batch.
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
    if (!connectionBroken) {
      await client.query('ROLLBACK').catch(() => {
        connectionBroken = true;
      });
    }
    throw error;
  } finally {
    // A broken connection keeps the listener: it may still emit while the pool tears it down.
    if (!connectionBroken) client.removeListener('error', onConnectionError);
    client.release(connectionBroken);
  }
}
