import type { Pool, PoolClient } from 'pg';
import { AutopackError } from '../../model/errors.js';
import { describeUrl, inTransaction } from './pool.js';
import { SCHEMA_VERSION, type PostgresStatements } from './statements.js';

/** PostgreSQL truncates longer names silently, which could make two schemas one. */
const MAX_IDENTIFIER_BYTES = 63;

export function checkSchemaName(schema: string): void {
  if (schema === '' || Buffer.byteLength(schema) > MAX_IDENTIFIER_BYTES) {
    throw new AutopackError(
      'INPUT_INVALID',
      `PostgreSQL event store: schema name ${JSON.stringify(schema)} must be 1 to ${MAX_IDENTIFIER_BYTES} bytes long; pass another \`schema\` option`,
    );
  }
}

async function storedVersion(client: Pool | PoolClient, sql: PostgresStatements): Promise<number | null> {
  const exists = await client.query<{ exists: boolean }>(sql.schemaVersionTableExists, [sql.schemaVersionTable]);
  if (exists.rows[0]?.exists !== true) return null;
  return (await client.query<{ version: number }>(sql.readSchemaVersion)).rows[0]?.version ?? null;
}

function refuseNewer(found: number, url: string, schema: string): never {
  throw new AutopackError(
    'INPUT_INVALID',
    `the event log in schema ${schema} at ${describeUrl(url)} was written by a newer autopack (log schema ${found}, ` +
      `this one reads up to ${SCHEMA_VERSION}); upgrade autopack`,
  );
}

/**
 * Creates the schema and its tables when missing. The usual case, tables already at this version, is one
 * read and no lock and no DDL (so a role without CREATE rights can use a schema made for it). Otherwise the
 * DDL runs under an advisory lock, so two processes starting at once take turns instead of colliding.
 */
export async function ensureSchema(pool: Pool, sql: PostgresStatements, schema: string, url: string): Promise<void> {
  const current = await storedVersion(pool, sql);
  if (current === SCHEMA_VERSION) return;
  if (current !== null && current > SCHEMA_VERSION) refuseNewer(current, url, schema);
  await inTransaction(pool, async (client) => {
    await client.query(sql.lockSchema, [schema]);
    // Another process may have finished while this one waited for the lock.
    const now = await storedVersion(client, sql);
    if (now === SCHEMA_VERSION) return;
    if (now !== null && now > SCHEMA_VERSION) refuseNewer(now, url, schema);
    const schemaExists = await client.query<{ exists: boolean }>(sql.schemaExists, [schema]);
    if (schemaExists.rows[0]?.exists !== true) await client.query(sql.createSchema);
    await client.query(sql.createTables);
    await client.query(sql.writeSchemaVersion, [SCHEMA_VERSION]);
  });
}
