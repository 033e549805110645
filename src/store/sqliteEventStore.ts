import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { AutopackError } from '../model/errors.js';
import type { AppendOptions, EventStore, LeaseClaim, LeaseFence, LeaseHolder, StreamInfo, TakeOver } from './eventStore.js';
import { LeaseLostError, VersionConflictError } from './eventStore.js';
import { parseFoldData } from './foldData.js';
import type { FoldEvent, NewRunEvent, StoredRunEvent } from './events.js';
import { claimOver, currentHolder, renewedBy, toHolder, type LeaseRecord } from './leaseRules.js';

/**
 * 2 added the leases table; 3 its epoch, ttl, expiry and released mark (lease fencing), and the indexes
 * for a resume's lookups. Older logs are upgraded in place: CREATE … IF NOT EXISTS, then the columns a
 * version-2 leases table lacks.
 */
const SCHEMA_VERSION = 3;
/** The ttl a version-2 lease row is given on upgrade: what every lease had then. */
const V2_LEASE_TTL_MS = 30_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS streams (
  stream      TEXT PRIMARY KEY,
  version     INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY AUTOINCREMENT,
  stream    TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  type      TEXT NOT NULL,
  actor     TEXT NOT NULL,
  source    TEXT,
  target    TEXT,
  data      TEXT NOT NULL,
  at        INTEGER NOT NULL,
  UNIQUE (stream, seq)
) STRICT;
-- A resume looks up the run's last phase.finished and run.resumed: without these it walks the stream back
-- (~19 ms over a 10,000-event run with no run.resumed). Partial, so other events pay nothing to insert.
CREATE INDEX IF NOT EXISTS events_phase_finished ON events (stream, seq) WHERE type = 'phase.finished';
CREATE INDEX IF NOT EXISTS events_run_resumed ON events (stream, seq) WHERE type = 'run.resumed';
CREATE TABLE IF NOT EXISTS leases (
  stream        TEXT PRIMARY KEY,
  token         TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  host          TEXT NOT NULL,
  since         INTEGER NOT NULL,
  heartbeat_at  INTEGER NOT NULL,
  epoch         INTEGER NOT NULL DEFAULT 0,
  ttl_ms        INTEGER NOT NULL DEFAULT ${V2_LEASE_TTL_MS},
  expires_at    INTEGER NOT NULL DEFAULT 0,
  released      INTEGER NOT NULL DEFAULT 0
) STRICT;
`;

const LEASE_COLUMNS_ADDED_IN_3 = ['epoch', 'ttl_ms', 'expires_at', 'released'];

/** A version-2 leases table gains the fencing columns; its live leases keep the 30 s they had. */
function upgradeLeases(db: Database.Database): void {
  const columns = new Set((db.prepare('PRAGMA table_info(leases)').all() as { name: string }[]).map((c) => c.name));
  if (columns.has('epoch')) return;
  for (const column of LEASE_COLUMNS_ADDED_IN_3) {
    const type = column === 'ttl_ms' ? `INTEGER NOT NULL DEFAULT ${V2_LEASE_TTL_MS}` : 'INTEGER NOT NULL DEFAULT 0';
    db.exec(`ALTER TABLE leases ADD COLUMN ${column} ${type}`);
  }
  db.exec(`UPDATE leases SET epoch = 1, expires_at = heartbeat_at + ${V2_LEASE_TTL_MS}`);
}

interface LeaseRow {
  token: string;
  pid: number;
  host: string;
  since: number;
  heartbeat_at: number;
  /** Absent in a version-2 log opened read-only (not upgraded). */
  epoch?: number;
  ttl_ms?: number;
  expires_at?: number;
  released?: number;
}

function toLeaseRecord(row: LeaseRow): LeaseRecord {
  const ttlMs = row.ttl_ms ?? V2_LEASE_TTL_MS;
  return {
    token: row.token,
    epoch: row.epoch ?? 1,
    pid: row.pid,
    host: row.host,
    ttlMs,
    since: row.since,
    heartbeatAt: row.heartbeat_at,
    expiresAt: row.expires_at ?? row.heartbeat_at + ttlMs,
    released: row.released === 1,
  };
}

export type Durability = 'normal' | 'full';

export interface SqliteEventStoreOptions {
  /** `normal` survives a process crash; `full` also survives power loss, at the cost of an fsync per commit. */
  durability?: Durability;
  readonly?: boolean;
  /** The store's clock, which alone decides when a lease expires; Date.now by default. */
  clock?: () => number;
}

/** A row's columns, as an array (.raw()): better-sqlite3's object rows, keys and all, cost 1.5 s more per million rows. */
type EventRow = [
  position: number,
  stream: string,
  seq: number,
  type: string,
  actor: string,
  source: string | null,
  target: string | null,
  data: string,
  at: number,
];
const EVENT_COLUMNS = 'position, stream, seq, type, actor, source, target, data, at';

/**
 * aggregate reads a stream in pages rather than whole, so a long run's log need not fit in memory twice,
 * and not row by row: a call to better-sqlite3's iterator per row made replay 15% slower. A log only
 * grows, so pages read as others append still make a prefix of it.
 */
const FOLD_PAGE_ROWS = 256;

/** The columns a fold reads (FoldEvent), as an array. */
type FoldRow = [seq: number, type: string, target: string | null, data: string, at: number];

interface StreamRow {
  stream: string;
  version: number;
  created_at: number;
  updated_at: number;
}

function toEvent([position, stream, seq, type, actor, source, target, data, at]: EventRow): StoredRunEvent {
  return { position, stream, seq, type, actor, source, target, data: JSON.parse(data) as unknown, at } as StoredRunEvent;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error as { code: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export function createSqliteEventStore(dbPath: string, options: SqliteEventStoreOptions = {}): EventStore {
  if (options.readonly !== true) fs.mkdirSync(path.dirname(path.resolve(dbPath)), { recursive: true });
  else if (!fs.existsSync(dbPath)) {
    throw new AutopackError('RUN_NOT_FOUND', `no event log at ${dbPath}; run a plan first or pass --db`);
  }
  const db = new Database(dbPath, { readonly: options.readonly === true });
  if (options.readonly !== true) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      db.close();
      throw new AutopackError(
        'INPUT_INVALID',
        `${dbPath} was written by a newer autopack (log schema ${current}, this one reads up to ${SCHEMA_VERSION}); upgrade autopack`,
      );
    }
    // Only a log behind this version is written to on open: a write here creates the WAL and costs a
    // resume its fsyncs before it has done anything.
    if (current < SCHEMA_VERSION) {
      db.transaction(() => {
        db.exec(SCHEMA);
        upgradeLeases(db);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }).immediate();
    }
  }
  db.pragma('busy_timeout = 5000');

  const selectVersion = db.prepare<[string], { version: number }>('SELECT version FROM streams WHERE stream = ?');
  const insertStream = db.prepare('INSERT INTO streams (stream, version, created_at, updated_at) VALUES (?, ?, ?, ?)');
  const updateStream = db.prepare('UPDATE streams SET version = ?, updated_at = ? WHERE stream = ? AND version = ?');
  const insertEvent = db.prepare(
    'INSERT INTO events (stream, seq, type, actor, source, target, data, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const selectStream = db
    .prepare<[string, number, number], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND seq >= ? ORDER BY seq LIMIT ?`)
    .raw();
  const selectFoldPage = db
    .prepare<[string, number], FoldRow>(`SELECT seq, type, target, data, at FROM events WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ${FOLD_PAGE_ROWS}`)
    .raw();
  const selectAfter = db
    .prepare<[number, number], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
    .raw();
  const selectLastOfType = db
    .prepare<[string, string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND type = ? ORDER BY seq DESC LIMIT 1`)
    .raw();
  // The type spelled out, so SQLite can use the partial index for it (a bound parameter cannot match one).
  const selectLastIndexed = new Map(
    (['phase.finished', 'run.resumed'] as const).map((type) => [
      type as string,
      db.prepare<[string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND type = '${type}' ORDER BY seq DESC LIMIT 1`).raw(),
    ]),
  );
  const selectStreams = db.prepare<[], StreamRow>('SELECT * FROM streams ORDER BY created_at, stream');

  const version = (stream: string): number => selectVersion.get(stream)?.version ?? 0;

  const clock = options.clock ?? Date.now;
  // A read-only handle on a version-1 log has no leases table: it cannot hold a lease, and sees none.
  const hasLeases = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'leases'").get() as { n: number }).n > 0;
  const selectLease = hasLeases ? db.prepare<[string], LeaseRow>('SELECT * FROM leases WHERE stream = ?') : null;
  const leaseRecord = (stream: string): LeaseRecord | null => {
    const row = selectLease?.get(stream);
    return row === undefined ? null : toLeaseRecord(row);
  };
  const noLeases = (): never => {
    throw new AutopackError('INPUT_INVALID', `${dbPath} is opened read-only: it cannot hold a run's lease`);
  };
  const writeLease = hasLeases
    ? db.prepare(
        `INSERT OR REPLACE INTO leases (stream, token, epoch, pid, host, ttl_ms, since, heartbeat_at, expires_at, released)
         VALUES (@stream, @token, @epoch, @pid, @host, @ttlMs, @since, @heartbeatAt, @expiresAt, 0)`,
      )
    : null;
  // Prepared once: every fenced append checks and renews the lease with this one statement, as the
  // PostgreSQL store does; only when it changes nothing is the row read, to say why.
  const renewLeaseRow = hasLeases
    ? db.prepare(
        `UPDATE leases SET heartbeat_at = @now, expires_at = @now + ttl_ms
         WHERE stream = @stream AND token = @token AND epoch = @epoch AND released = 0 AND expires_at > @now`,
      )
    : null;
  const releaseLeaseRow = hasLeases ? db.prepare('UPDATE leases SET released = 1 WHERE stream = ? AND token = ? AND epoch = ?') : null;

  /** Inside a transaction: renews the lease when the fence holds it, else throws LeaseLostError. */
  const checkFence = (stream: string, fence: LeaseFence): void => {
    const now = clock();
    if ((renewLeaseRow ?? noLeases()).run({ now, stream, token: fence.token, epoch: fence.epoch }).changes === 1) return;
    throw new LeaseLostError(stream, fence, currentHolder(leaseRecord(stream), now));
  };
  const leaseTx = db.transaction((stream: string, claim: LeaseClaim, takeOver: TakeOver | undefined): LeaseHolder => {
    const now = clock();
    const record = claimOver(stream, leaseRecord(stream), claim, now, takeOver);
    (writeLease ?? noLeases()).run({ stream, ...record });
    return toHolder(record, now);
  });
  const renewTx = db.transaction((stream: string, fence: LeaseFence): boolean => renewedBy(() => checkFence(stream, fence)));

  // IMMEDIATE takes the write lock before reading the version, so two writers cannot both pass the check.
  const appendTx = db.transaction((stream: string, events: readonly NewRunEvent[], expectedVersion: number, fence: LeaseFence | undefined) => {
    if (fence !== undefined) checkFence(stream, fence);
    const actual = version(stream);
    if (actual !== expectedVersion) throw new VersionConflictError(stream, expectedVersion, actual);
    const stored: StoredRunEvent[] = [];
    events.forEach((event, i) => {
      const seq = actual + i + 1;
      const info = insertEvent.run(
        stream,
        seq,
        event.type,
        event.actor,
        event.source,
        event.target,
        JSON.stringify(event.data),
        event.at,
      );
      stored.push({ ...event, stream, seq, position: Number(info.lastInsertRowid) } as StoredRunEvent);
    });
    const last = events[events.length - 1];
    if (last === undefined) return stored;
    const newVersion = actual + events.length;
    if (actual === 0) insertStream.run(stream, newVersion, events[0]?.at ?? last.at, last.at);
    else updateStream.run(newVersion, last.at, stream, actual);
    return stored;
  });

  return {
    async append(stream: string, events: readonly NewRunEvent[], { expectedVersion, fence }: AppendOptions) {
      try {
        return appendTx.immediate(stream, events, expectedVersion, fence);
      } catch (error) {
        if (isUniqueViolation(error)) throw new VersionConflictError(stream, expectedVersion, version(stream));
        throw error;
      }
    },
    async read(stream, options = {}) {
      return selectStream.all(stream, options.from ?? 1, options.limit ?? -1).map(toEvent);
    },
    async readAll(options = {}) {
      return selectAfter.all(options.after ?? 0, options.limit ?? -1).map(toEvent);
    },
    async aggregate(stream, evolve, initial) {
      let state = initial;
      for (let after = 0; ; ) {
        const rows = selectFoldPage.all(stream, after);
        for (const row of rows) {
          state = evolve(state, { type: row[1], seq: row[0], target: row[2], data: parseFoldData(row[1], row[3]), at: row[4] } as FoldEvent);
        }
        const last = rows[rows.length - 1];
        if (last === undefined || rows.length < FOLD_PAGE_ROWS) return state;
        after = last[0];
      }
    },
    version: async (stream) => version(stream),
    async lastOfType(stream, type) {
      const indexed = selectLastIndexed.get(type);
      const row = indexed === undefined ? selectLastOfType.get(stream, type) : indexed.get(stream);
      return row === undefined ? null : toEvent(row);
    },
    async listStreams(): Promise<StreamInfo[]> {
      return selectStreams.all().map((r) => ({
        stream: r.stream,
        version: r.version,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      }));
    },
    async acquireLease(stream, claim, takeOver) {
      return leaseTx.immediate(stream, claim, takeOver);
    },
    async renewLease(stream, fence) {
      return renewTx.immediate(stream, fence);
    },
    async releaseLease(stream, fence) {
      (releaseLeaseRow ?? noLeases()).run(stream, fence.token, fence.epoch);
    },
    readLease: async (stream) => currentHolder(leaseRecord(stream), clock()),
    async close() {
      if (db.open) db.close();
    },
  };
}
