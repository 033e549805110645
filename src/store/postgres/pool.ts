import type { Pool, PoolClient } from 'pg';
import { AutopackError } from '../../model/errors.js';

/**
 * node-postgres (`pg`), with a Pool: an append is BEGIN … COMMIT on one checked-out client, which a pool
 * gives explicitly (a driver that pipelines queries over shared connections would not); and the LISTEN that
 * is to wake followers needs a dedicated client of its own, which `pool.connect()` or a `Client` provides.
 * pg is imported when a store is opened, not with the library: loading it took 0.2 to 0.35 s on the test
 * machine, which a CLI start that only uses SQLite should not pay.
 */

/**
 * `bigint` arrives as a string unless told otherwise. Positions, seqs, versions and epoch-ms times fit a
 * JS number exactly up to 2^53 - 1; past that a silent rounding would corrupt the log's order, so refuse.
 * Set on this pool's clients only, not on pg's global parsers that the host application may rely on.
 */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new AutopackError('INTERNAL', `the PostgreSQL event log returned the integer ${text}, beyond what a JavaScript number holds exactly (2^53 - 1)`);
  }
  return value;
}

/** A PostgreSQL error for a broken unique constraint (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error as { code: unknown }).code === '23505';
}

/** The URL as it may be shown in a message: without its password. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the given PostgreSQL URL (not shown: it does not parse as a URL)';
  }
}

export async function createPool(url: string, maxConnections: number): Promise<Pool> {
  const { Pool, TypeOverrides, types } = await import('pg');
  const parsers = new TypeOverrides();
  parsers.setTypeParser(types.builtins.INT8, parseInt8);
  // Named in pg_stat_activity, unless the URL names the application itself.
  const pool = new Pool({ connectionString: url, max: maxConnections, types: parsers, fallback_application_name: 'autopack' });
  // An idle client whose connection drops (a server restart) is emitted here and removed from the pool;
  // without a listener it would crash the process. The next query opens a fresh connection, or fails itself.
  pool.on('error', () => {});
  return pool;
}

/**
 * Runs `body` between BEGIN and COMMIT on one client, rolling back when it throws. A client whose rollback
 * fails is destroyed rather than returned to the pool, as its connection is in an unknown state.
 */
export async function inTransaction<T>(pool: Pool, body: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
