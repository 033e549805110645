import type { Pool } from 'pg';
import { AutopackError } from '../model/errors.js';
import type { AppendOptions, EventStore, LeaseHolder } from './eventStore.js';
import { LeaseConflictError, VersionConflictError } from './eventStore.js';
import type { NewRunEvent, StoredRunEvent } from './events.js';
import { createPool, describeUrl, inTransaction } from './postgres/pool.js';
import { toEvent, toLeaseHolder, toStreamInfo, type EventRow, type LeaseRow, type StreamRow } from './postgres/rows.js';
import { checkSchemaName, ensureSchema } from './postgres/schema.js';
import { AGGREGATE_PAGE_SIZE, insertEventsValues, postgresStatements, type PostgresStatements } from './postgres/statements.js';

export interface PostgresEventStoreOptions {
  /**
   * The schema holding the log's tables, created when missing: several logs (projects, tests) can share a
   * database each in a schema of its own. `autopack` by default.
   */
  schema?: string;
  /** The most connections the store's pool opens at once; 10 by default. */
  maxConnections?: number;
}

const DEFAULT_SCHEMA = 'autopack';
const DEFAULT_MAX_CONNECTIONS = 10;
/** Taking a lease retries when the row appears or vanishes between its two statements; more is a churn to report. */
const LEASE_ATTEMPTS = 3;

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error as { code: unknown }).code === '23505';
}

/**
 * The event log in PostgreSQL, for runs driven from several machines. Same contract as the SQLite and
 * memory stores (test/store/eventStore.contract.test.ts); the SQL and its reasons are in postgres/statements.ts.
 */
export async function createPostgresEventStore(url: string, options: PostgresEventStoreOptions = {}): Promise<EventStore> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  checkSchemaName(schema);
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new AutopackError('INPUT_INVALID', `PostgreSQL event store: maxConnections must be a whole number of at least 1, got ${maxConnections}`);
  }
  const pool = await createPool(url, maxConnections);
  const sql = postgresStatements(schema);
  try {
    await ensureSchema(pool, sql, schema, url);
  } catch (error) {
    await pool.end();
    if (error instanceof AutopackError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new AutopackError(
      'INPUT_INVALID',
      `cannot open the PostgreSQL event log at ${describeUrl(url)} (schema ${schema}): ${reason}; check the URL, that the server is running and that the role may create the schema`,
      { cause: error },
    );
  }
  return postgresEventStore(pool, sql, schema);
}

function postgresEventStore(pool: Pool, sql: PostgresStatements, schema: string): EventStore {
  let closed = false;

  const version = async (stream: string): Promise<number> =>
    (await pool.query<{ version: number }>({ ...sql.version, values: [stream] })).rows[0]?.version ?? 0;

  /** The stored events, or null when the streams row was not at the expected version (nothing written). */
  const appendTx = (stream: string, events: readonly [NewRunEvent, ...NewRunEvent[]], expectedVersion: number) =>
    inTransaction(pool, async (client): Promise<StoredRunEvent[] | null> => {
      const last = events[events.length - 1] ?? events[0];
      const newVersion = expectedVersion + events.length;
      const guard =
        expectedVersion === 0
          ? await client.query({ ...sql.insertStream, values: [stream, newVersion, events[0].at, last.at] })
          : await client.query({ ...sql.advanceStream, values: [stream, newVersion, expectedVersion, last.at] });
      if (guard.rowCount !== 1) return null;
      const inserted = await client.query<{ position: number; seq: number }>({
        ...sql.insertEvents,
        values: insertEventsValues(stream, expectedVersion, events),
      });
      // RETURNING's row order is not promised: match positions to events by seq.
      const positionOf = new Map(inserted.rows.map((r) => [r.seq, r.position]));
      return events.map((event, i) => {
        const seq = expectedVersion + i + 1;
        const position = positionOf.get(seq);
        if (position === undefined) throw new AutopackError('INTERNAL', `run ${stream}: the insert of seq ${seq} returned no position`);
        return { ...event, stream, seq, position } as StoredRunEvent;
      });
    });

  const leaseTx = (stream: string, holder: Omit<LeaseHolder, 'heartbeatAt'>, isStale: (current: LeaseHolder) => boolean) =>
    inTransaction(pool, async (client): Promise<boolean> => {
      const values = [stream, holder.token, holder.pid, holder.host, holder.since];
      if ((await client.query({ ...sql.insertLease, values })).rowCount === 1) return true;
      const row = (await client.query<LeaseRow>({ ...sql.lockLease, values: [stream] })).rows[0];
      // Released between the two statements: start again.
      if (row === undefined) return false;
      const current = toLeaseHolder(row);
      if (current.token !== holder.token && !isStale(current)) throw new LeaseConflictError(stream, current);
      await client.query({ ...sql.replaceLease, values });
      return true;
    });

  return {
    async append(stream: string, events: readonly NewRunEvent[], { expectedVersion }: AppendOptions) {
      const [first, ...rest] = events;
      if (first === undefined) {
        const actual = await version(stream);
        if (actual !== expectedVersion) throw new VersionConflictError(stream, expectedVersion, actual);
        return [];
      }
      let stored: StoredRunEvent[] | null;
      try {
        stored = await appendTx(stream, [first, ...rest], expectedVersion);
      } catch (error) {
        // The streams row guards every append, so (stream, seq) cannot clash; should it, it is still a conflict.
        if (isUniqueViolation(error)) throw new VersionConflictError(stream, expectedVersion, await version(stream));
        throw error;
      }
      if (stored === null) throw new VersionConflictError(stream, expectedVersion, await version(stream));
      return stored;
    },
    async read(stream, options = {}) {
      const { rows } = await pool.query<EventRow>({ ...sql.readStream, values: [stream, options.from ?? 1, options.limit ?? null] });
      return rows.map(toEvent);
    },
    /**
     * Gap-free, in (transaction, position) order rather than position order: continue from the last returned
     * event's position, and only from one readAll returned (statements.ts, readAll, says why).
     */
    async readAll(options = {}) {
      const after = options.after ?? 0;
      const { rows } = await pool.query<EventRow>({ ...sql.readAll, values: [after, options.limit ?? null] });
      // An unknown cursor reads as "nothing after it"; tell it apart from a follower that is up to date.
      if (rows.length === 0 && after !== 0) {
        const known = (await pool.query<{ exists: boolean }>({ ...sql.eventExists, values: [after] })).rows[0]?.exists === true;
        if (!known) {
          throw new AutopackError(
            'INPUT_INVALID',
            `readAll: no event at position ${after} in the PostgreSQL event log (schema ${schema}); ` +
              'pass 0, or the position of the last event readAll returned',
          );
        }
      }
      return rows.map(toEvent);
    },
    async aggregate(stream, evolve, initial) {
      // A page at a time by seq. Each page is its own statement, so appends landing meanwhile may be folded
      // too: the result is still the fold of a prefix of the stream, as the stream only grows.
      let state = initial;
      let seq = 0;
      for (;;) {
        const { rows } = await pool.query<EventRow>({ ...sql.readStreamAfter, values: [stream, seq] });
        for (const row of rows) state = evolve(state, toEvent(row));
        const last = rows[rows.length - 1];
        if (last === undefined || rows.length < AGGREGATE_PAGE_SIZE) return state;
        seq = last.seq;
      }
    },
    version,
    async lastOfType(stream, type) {
      const row = (await pool.query<EventRow>({ ...sql.lastOfType, values: [stream, type] })).rows[0];
      return row === undefined ? null : toEvent(row);
    },
    async listStreams() {
      return (await pool.query<StreamRow>(sql.listStreams)).rows.map(toStreamInfo);
    },
    async acquireLease(stream, holder, isStale) {
      for (let attempt = 1; attempt <= LEASE_ATTEMPTS; attempt++) {
        if (await leaseTx(stream, holder, isStale)) return;
      }
      throw new AutopackError(
        'RUN_LOCKED',
        `run ${stream}: its lease was taken and released ${LEASE_ATTEMPTS} times while this process tried to take it; ` +
          'another process is starting and stopping this run, stop it before resuming',
        { retryable: true },
      );
    },
    async renewLease(stream, token, now) {
      return (await pool.query({ ...sql.renewLease, values: [stream, token, now] })).rowCount === 1;
    },
    async releaseLease(stream, token) {
      await pool.query({ ...sql.releaseLease, values: [stream, token] });
    },
    async readLease(stream) {
      const row = (await pool.query<LeaseRow>({ ...sql.readLease, values: [stream] })).rows[0];
      return row === undefined ? null : toLeaseHolder(row);
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
