import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { AutopackError } from '../model/errors.js';
import type { AppendOptions, EventStore, LeaseHolder, StreamInfo } from './eventStore.js';
import { LeaseConflictError, VersionConflictError } from './eventStore.js';
import { parseFoldData } from './foldData.js';
import type { FoldEvent, NewRunEvent, StoredRunEvent } from './events.js';

/** 2 added the leases table; a version-1 log is upgraded in place (CREATE TABLE IF NOT EXISTS). */
const SCHEMA_VERSION = 2;

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
CREATE TABLE IF NOT EXISTS leases (
  stream        TEXT PRIMARY KEY,
  token         TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  host          TEXT NOT NULL,
  since         INTEGER NOT NULL,
  heartbeat_at  INTEGER NOT NULL
) STRICT;
`;

export type Durability = 'normal' | 'full';

export interface SqliteEventStoreOptions {
  /** `normal` survives a process crash; `full` also survives power loss, at the cost of an fsync per commit. */
  durability?: Durability;
  readonly?: boolean;
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
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
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
  const selectStreams = db.prepare<[], StreamRow>('SELECT * FROM streams ORDER BY created_at, stream');

  const version = (stream: string): number => selectVersion.get(stream)?.version ?? 0;

  // A read-only handle on a version-1 log has no leases table: it cannot hold a lease, and sees none.
  const hasLeases = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'leases'").get() as { n: number }).n > 0;
  const selectLease = hasLeases
    ? db.prepare<[string], { token: string; pid: number; host: string; since: number; heartbeat_at: number }>('SELECT * FROM leases WHERE stream = ?')
    : null;
  const readLease = (stream: string): LeaseHolder | null => {
    const row = selectLease?.get(stream);
    return row === undefined ? null : { token: row.token, pid: row.pid, host: row.host, since: row.since, heartbeatAt: row.heartbeat_at };
  };
  const leaseTx = db.transaction((stream: string, holder: Omit<LeaseHolder, 'heartbeatAt'>, isStale: (current: LeaseHolder) => boolean) => {
    const current = readLease(stream);
    if (current !== null && current.token !== holder.token && !isStale(current)) throw new LeaseConflictError(stream, current);
    db.prepare('INSERT OR REPLACE INTO leases (stream, token, pid, host, since, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      stream,
      holder.token,
      holder.pid,
      holder.host,
      holder.since,
      holder.since,
    );
  });

  // IMMEDIATE takes the write lock before reading the version, so two writers cannot both pass the check.
  const appendTx = db.transaction((stream: string, events: readonly NewRunEvent[], expectedVersion: number) => {
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
    append(stream: string, events: readonly NewRunEvent[], { expectedVersion }: AppendOptions) {
      try {
        return appendTx.immediate(stream, events, expectedVersion);
      } catch (error) {
        if (isUniqueViolation(error)) throw new VersionConflictError(stream, expectedVersion, version(stream));
        throw error;
      }
    },
    read(stream, options = {}) {
      return selectStream.all(stream, options.from ?? 1, options.limit ?? -1).map(toEvent);
    },
    readAll(options = {}) {
      return selectAfter.all(options.after ?? 0, options.limit ?? -1).map(toEvent);
    },
    aggregate(stream, evolve, initial) {
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
    version,
    lastOfType(stream, type) {
      const row = selectLastOfType.get(stream, type);
      return row === undefined ? null : toEvent(row);
    },
    listStreams(): StreamInfo[] {
      return selectStreams.all().map((r) => ({
        stream: r.stream,
        version: r.version,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      }));
    },
    acquireLease(stream, holder, isStale) {
      leaseTx.immediate(stream, holder, isStale);
    },
    renewLease(stream, token, now) {
      return db.prepare('UPDATE leases SET heartbeat_at = ? WHERE stream = ? AND token = ?').run(now, stream, token).changes === 1;
    },
    releaseLease(stream, token) {
      db.prepare('DELETE FROM leases WHERE stream = ? AND token = ?').run(stream, token);
    },
    readLease,
    close() {
      if (db.open) db.close();
    },
  };
}
