import type { Pool, PoolClient } from 'pg';
import { AutopackError } from '../model/errors.js';
import type { AppendOptions, EventStore, LeaseClaim, LeaseFence, LeaseHolder, TakeOver } from './eventStore.js';
import { LeaseLostError, VersionConflictError } from './eventStore.js';
import type { NewRunEvent, StoredRunEvent } from './events.js';
import { currentHolder, fenceHolds } from './leaseRules.js';
import { claimLease } from './postgres/claimLease.js';
import { postgresRunQueue } from './postgres/runQueue.js';
import type { RunQueue } from './runQueue.js';
import { createPool, describeUrl, inTransaction, isUniqueViolation } from './postgres/pool.js';
import { toEvent, toLeaseRecord, toStreamInfo, type EventRow, type LeaseRow, type StreamRow } from './postgres/rows.js';
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

/**
 * The event log in PostgreSQL, for runs driven from several machines. Same contract as the SQLite and
 * memory stores (test/store/eventStore.contract.test.ts); the SQL and its reasons are in postgres/statements.ts.
 */
export async function createPostgresEventStore(url: string, options: PostgresEventStoreOptions = {}): Promise<EventStore> {
  return (await openPostgresLog(url, options)).store;
}

/** The log and the queue of runs it feeds, sharing one pool: what `autopack submit` and `worker` use. */
export async function openPostgresLog(url: string, options: PostgresEventStoreOptions = {}): Promise<{ store: EventStore; queue: RunQueue }> {
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
  return { store: postgresEventStore(pool, sql, schema), queue: postgresRunQueue(pool, sql) };
}

function postgresEventStore(pool: Pool, sql: PostgresStatements, schema: string): EventStore {
  let closed = false;

  const version = async (stream: string): Promise<number> =>
    (await pool.query<{ version: number }>({ ...sql.version, values: [stream] })).rows[0]?.version ?? 0;

  const renewLease = async (stream: string, fence: LeaseFence): Promise<boolean> =>
    (await pool.query({ ...sql.renewLease, values: [stream, fence.token, fence.epoch] })).rowCount === 1;

  async function readLease(stream: string): Promise<LeaseHolder | null> {
    const row = (await pool.query<LeaseRow>({ ...sql.readLease, values: [stream] })).rows[0];
    return row === undefined ? null : currentHolder(toLeaseRecord(row), row.now);
  }

  /** Inside the append's transaction, once its guard updated nothing: the error that says why. */
  async function guardFailure(client: PoolClient, stream: string, expectedVersion: number, fence: LeaseFence | undefined): Promise<Error> {
    const row = (await client.query<LeaseRow & { version: number }>({ ...sql.streamGuard, values: [stream] })).rows[0];
    if (fence !== undefined) {
      const record = row === undefined ? null : toLeaseRecord(row);
      const now = row?.now ?? Date.now();
      if (!fenceHolds(record, fence, now)) return new LeaseLostError(stream, fence, currentHolder(record, now));
    }
    return new VersionConflictError(stream, expectedVersion, row?.version ?? 0);
  }

  /**
   * The streams row is the guard, and the transaction's first write (statements.ts, insertStream, says why).
   * Fenced: one UPDATE checks version and lease and renews the lease. Unfenced: a new stream's row is
   * inserted, or a claimed one's (version 0) moved on.
   */
  async function guard(client: PoolClient, stream: string, events: readonly [NewRunEvent, ...NewRunEvent[]], expectedVersion: number, fence: LeaseFence | undefined) {
    const first = events[0];
    const last = events[events.length - 1] ?? first;
    const newVersion = expectedVersion + events.length;
    if (fence !== undefined) {
      const values = [stream, newVersion, expectedVersion, last.at, first.at, fence.token, fence.epoch];
      return (await client.query({ ...sql.advanceStreamFenced, values })).rowCount === 1;
    }
    if (expectedVersion === 0 && (await client.query({ ...sql.insertStream, values: [stream, newVersion, first.at, last.at] })).rowCount === 1) return true;
    return (await client.query({ ...sql.advanceStream, values: [stream, newVersion, expectedVersion, last.at, first.at] })).rowCount === 1;
  }

  const appendTx = (stream: string, events: readonly [NewRunEvent, ...NewRunEvent[]], expectedVersion: number, fence: LeaseFence | undefined) =>
    inTransaction(pool, async (client): Promise<StoredRunEvent[]> => {
      if (!(await guard(client, stream, events, expectedVersion, fence))) throw await guardFailure(client, stream, expectedVersion, fence);
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

  const leaseTx = (stream: string, claim: LeaseClaim, takeOver: TakeOver | undefined) =>
    inTransaction(pool, async (client) => (await claimLease(client, sql, stream, claim, takeOver)).holder);

  return {
    async append(stream: string, events: readonly NewRunEvent[], { expectedVersion, fence }: AppendOptions) {
      const [first, ...rest] = events;
      if (first === undefined) {
        if (fence !== undefined && !(await renewLease(stream, fence))) throw new LeaseLostError(stream, fence, await readLease(stream));
        const actual = await version(stream);
        if (actual !== expectedVersion) throw new VersionConflictError(stream, expectedVersion, actual);
        return [];
      }
      try {
        return await appendTx(stream, [first, ...rest], expectedVersion, fence);
      } catch (error) {
        // The streams row guards every append, so (stream, seq) cannot clash; should it, it is still a conflict.
        if (isUniqueViolation(error)) throw new VersionConflictError(stream, expectedVersion, await version(stream));
        throw error;
      }
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
    acquireLease: leaseTx,
    renewLease,
    async releaseLease(stream, fence) {
      await pool.query({ ...sql.releaseLease, values: [stream, fence.token, fence.epoch] });
    },
    readLease,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
