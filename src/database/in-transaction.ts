import type pg from 'pg';

/**
 * Runs `work` in one READ COMMITTED transaction on one connection. A connection
 * whose ROLLBACK fails (e.g. a client-side query timeout) is discarded, not reused.
 * pg-pool takes its error listener off a client while it is checked out: a server
 * that ends the connection between two statements (a restart, 57P01) would raise an
 * unhandled 'error' and kill the process, so one is kept on it here (the next
 * statement fails instead).
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const ignore = () => undefined;
  client.on('error', ignore);
  const release = (error?: Error) => {
    client.removeListener('error', ignore);
    client.release(error);
  };
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    release();
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
      release();
    } catch (rollbackError) {
      release(rollbackError as Error);
    }
    throw error;
  }
}
