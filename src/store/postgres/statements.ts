import type { NewRunEvent } from '../events.js';
/**
 * Every statement the PostgreSQL store runs, for one schema, in one place: lease fencing of appends, a runs
 * queue and LISTEN/NOTIFY are to be added here and nowhere else.
 *
 * Tables are always qualified with the (quoted) schema rather than relying on `search_path`, so a pooled
 * connection carries no session state the store depends on.
 */

/**
 * Bumped when the tables change; a log written by a newer autopack is refused rather than misread.
 * 2 moved the lease into the streams row, with an epoch, a ttl and an expiry (fencing); 3 added the run queue;
 * 4 added its `awaiting_approval` state (a run parked at an approval gate, holding no worker).
 */
export const SCHEMA_VERSION = 4;

/** A named statement: node-postgres prepares it once per connection and reuses it. */
export interface Statement {
  name: string;
  text: string;
}

/** How many events `aggregate` folds per round trip: a long run's log is never loaded at once. */
export const AGGREGATE_PAGE_SIZE = 1_000;

/** PostgreSQL's quoting of a name (pg's escapeIdentifier), here so that loading the SQL does not load pg. */
function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const EVENT_COLUMNS = 'position, stream, seq, type, actor, source, target, data, at';
const LEASE_COLUMNS = 'lease_token, lease_epoch, lease_pid, lease_host, lease_ttl_ms, lease_since, lease_heartbeat_at, lease_expires_at, lease_released';
/**
 * The database's clock in epoch ms, the only clock lease expiry is judged by: workers' clocks may disagree.
 * statement_timestamp() is one instant for the whole statement.
 */
const NOW_MS = '(extract(epoch FROM statement_timestamp()) * 1000)::bigint';

export function postgresStatements(schema: string) {
  const q = quoteIdentifier(schema);
  const streams = `${q}.streams`;
  const events = `${q}.events`;
  const schemaVersion = `${q}.schema_version`;
  const queue = `${q}.run_queue`;
  /** NOTIFY's channel: one per schema, so two logs in one database do not wake each other's workers. */
  const channel = quoteIdentifier(`autopack_runs_${schema}`.slice(0, 63));
  // Statement names are per connection, and each store has a pool of its own: a fixed prefix suffices.
  const named = (name: string, text: string): Statement => ({ name: `autopack_${name}`, text });

  return {
    schemaExists: 'SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists',
    /** Its parameter is `schemaVersionTable`. */
    schemaVersionTableExists: 'SELECT to_regclass($1) IS NOT NULL AS exists',
    schemaVersionTable: schemaVersion,
    readSchemaVersion: `SELECT version FROM ${schemaVersion}`,
    /**
     * Two processes opening the same schema at once would both try to create its tables, and a concurrent
     * `CREATE ... IF NOT EXISTS` can still fail on the catalog's unique index; a transaction-scoped advisory
     * lock keyed by the schema name makes them take turns.
     */
    lockSchema: "SELECT pg_advisory_xact_lock(hashtextextended('autopack schema ' || $1, 0))",
    createSchema: `CREATE SCHEMA IF NOT EXISTS ${q}`,
    /**
     * `stream` sorts with the "C" collation so listStreams orders names by bytes, as SQLite does, whatever
     * the database's locale. `data` is the event's JSON text, kept byte for byte (jsonb would reorder keys).
     * `transaction_id` is the writer's transaction id, which makes global reads gap-free (see readAll).
     */
    createTables: `
CREATE TABLE IF NOT EXISTS ${schemaVersion} (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version    integer NOT NULL
);
CREATE TABLE IF NOT EXISTS ${streams} (
  stream      text COLLATE "C" PRIMARY KEY,
  version     bigint NOT NULL,
  created_at  bigint NOT NULL,
  updated_at  bigint NOT NULL
);
-- The run's lease lives in its streams row (schema 2), which every append already updates first: fencing
-- is then part of that one UPDATE, and a claim and an append serialise on the same row lock.
ALTER TABLE ${streams}
  ADD COLUMN IF NOT EXISTS lease_token         text,
  ADD COLUMN IF NOT EXISTS lease_epoch         bigint NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS lease_pid           integer,
  ADD COLUMN IF NOT EXISTS lease_host          text,
  ADD COLUMN IF NOT EXISTS lease_ttl_ms        bigint,
  ADD COLUMN IF NOT EXISTS lease_since         bigint,
  ADD COLUMN IF NOT EXISTS lease_heartbeat_at  bigint,
  ADD COLUMN IF NOT EXISTS lease_expires_at    bigint,
  ADD COLUMN IF NOT EXISTS lease_released      boolean NOT NULL DEFAULT false;
DROP TABLE IF EXISTS ${q}.leases;
CREATE TABLE IF NOT EXISTS ${events} (
  position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream          text COLLATE "C" NOT NULL,
  seq             bigint NOT NULL,
  type            text NOT NULL,
  actor           text NOT NULL,
  source          text,
  target          text,
  data            text NOT NULL,
  at              bigint NOT NULL,
  UNIQUE (stream, seq)
);
CREATE INDEX IF NOT EXISTS events_transaction_position ON ${events} (transaction_id, position);
CREATE TABLE IF NOT EXISTS ${queue} (
  run_id        text COLLATE "C" PRIMARY KEY,
  plan          text NOT NULL,
  plan_file     text NOT NULL,
  repo          text NOT NULL,
  ref           text NOT NULL,
  base_sha      text NOT NULL,
  state         text NOT NULL,
  submitted_at  bigint NOT NULL,
  worker        text,
  claims        integer NOT NULL DEFAULT 0,
  outcome       text
);
-- Schema 4: a run parked at an approval gate is claimable again once its decisions stream or its own log has
-- moved past the versions it was parked at (a decision made, or the run resumed by hand meanwhile).
ALTER TABLE ${queue} DROP CONSTRAINT IF EXISTS run_queue_state_check;
ALTER TABLE ${queue} ADD CONSTRAINT run_queue_state_check CHECK (state IN ('queued', 'running', 'awaiting_approval', 'finished'));
ALTER TABLE ${queue}
  ADD COLUMN IF NOT EXISTS parked_version     bigint NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS parked_decisions   bigint NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS run_queue_unfinished ON ${queue} (submitted_at) WHERE state <> 'finished';`,
    writeSchemaVersion: `INSERT INTO ${schemaVersion} (version) VALUES ($1) ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version`,

    version: named('version', `SELECT version FROM ${streams} WHERE stream = $1`),
    /**
     * The streams row is the append's guard against a concurrent writer, and must be its transaction's first
     * write. A new stream's row is inserted (a racing creator waits on it, then inserts nothing); an existing
     * one is moved on only from the expected version (a racing writer waits on the row lock, then finds the
     * version moved and updates nothing). Zero rows is a conflict. Being the first write, it also takes the
     * transaction id after the previous append to the stream committed, so a stream's transaction ids rise
     * with its seqs, which readAll's order relies on: a later check (e.g. a lease token) must be folded into
     * this statement or be a plain read, not a write or a row lock before it.
     */
    insertStream: named(
      'insert_stream',
      `INSERT INTO ${streams} (stream, version, created_at, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (stream) DO NOTHING`,
    ),
    /** A stream that was only claimed (version 0) takes its creation time from its first event. */
    advanceStream: named(
      'advance_stream',
      `UPDATE ${streams} SET version = $2, updated_at = $4, created_at = CASE WHEN version = 0 THEN $5 ELSE created_at END
WHERE stream = $1 AND version = $3`,
    ),
    /**
     * The fenced append's guard: the version check, the lease check and the lease's renewal in one UPDATE
     * of the streams row. A claim that took the lease meanwhile updated the same row, so this statement
     * either waits for it and then finds the epoch moved, or runs first and the claim waits for this append.
     */
    advanceStreamFenced: named(
      'advance_stream_fenced',
      `UPDATE ${streams} SET version = $2, updated_at = $4, created_at = CASE WHEN version = 0 THEN $5 ELSE created_at END,
  lease_heartbeat_at = ${NOW_MS}, lease_expires_at = ${NOW_MS} + lease_ttl_ms
WHERE stream = $1 AND version = $3 AND lease_token = $6 AND lease_epoch = $7 AND NOT lease_released AND lease_expires_at > ${NOW_MS}`,
    ),
    /** Why a guard updated nothing: the version and the lease as they are now. */
    streamGuard: named('stream_guard', `SELECT version, ${LEASE_COLUMNS}, ${NOW_MS} AS now FROM ${streams} WHERE stream = $1`),
    /** One round trip for a batch; ORDER BY seq hands out positions in seq order. */
    insertEvents: named(
      'insert_events',
      `INSERT INTO ${events} (stream, seq, type, actor, source, target, data, at)
SELECT $1, e.seq, e.type, e.actor, e.source, e.target, e.data, e.at
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
  AS e (seq, type, actor, source, target, data, at)
ORDER BY e.seq
RETURNING position, seq`,
    ),
    /** LIMIT NULL is no limit. */
    readStream: named(
      'read_stream',
      `SELECT ${EVENT_COLUMNS} FROM ${events} WHERE stream = $1 AND seq >= $2 ORDER BY seq LIMIT $3`,
    ),
    /**
     * Gap-free global reads (the technique of the Emmett event store). Positions come from a sequence, taken
     * when a row is inserted, so they are not committed in order: a follower reading `position > after` could
     * read position 11 while 10's transaction is still open, and never see 10. So:
     *  - only rows of transactions older than every transaction still running are returned
     *    (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`): those have all committed or aborted,
     *    and no transaction yet to commit can have an id below that bound;
     *  - they are ordered by (transaction_id, position), and the cursor is the (transaction id, position) of
     *    the event at `after`, looked up here (0 when `after` is 0).
     * Positions in the result are therefore not always increasing, but passing the last returned event's
     * position as `after` continues exactly after it. A position not returned by readAll (one from append or
     * read, of an event whose transaction was not yet below the bound) is not a safe cursor.
     *
     * The bound is the whole cluster's oldest running transaction: a long transaction anywhere on the server
     * (any database) holds back what readAll returns until it ends; nothing is lost, it is only later.
     */
    readAll: named(
      'read_all',
      `SELECT ${EVENT_COLUMNS} FROM ${events}
WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  AND (transaction_id, position) > (
    CASE WHEN $1::bigint = 0 THEN '0'::xid8 ELSE (SELECT transaction_id FROM ${events} WHERE position = $1::bigint) END,
    $1::bigint
  )
ORDER BY transaction_id, position
LIMIT $2`,
    ),
    eventExists: named('event_exists', `SELECT EXISTS (SELECT 1 FROM ${events} WHERE position = $1) AS exists`),
    /** Pages by seq for aggregate. */
    readStreamAfter: named(
      'read_stream_after',
      `SELECT ${EVENT_COLUMNS} FROM ${events} WHERE stream = $1 AND seq > $2 ORDER BY seq LIMIT ${AGGREGATE_PAGE_SIZE}`,
    ),
    lastOfType: named(
      'last_of_type',
      `SELECT ${EVENT_COLUMNS} FROM ${events} WHERE stream = $1 AND type = $2 ORDER BY seq DESC LIMIT 1`,
    ),
    /** A run only claimed, with no event yet, is not listed. */
    listStreams: named('list_streams', `SELECT stream, version, created_at, updated_at FROM ${streams} WHERE version > 0 ORDER BY created_at, stream`),

    readLease: named('read_lease', `SELECT ${LEASE_COLUMNS}, ${NOW_MS} AS now FROM ${streams} WHERE stream = $1`),
    /** A claim of a run nobody has touched: its streams row is made at version 0, holding the lease at epoch 1. */
    claimNew: named(
      'claim_new',
      `INSERT INTO ${streams} (stream, version, created_at, updated_at, ${LEASE_COLUMNS})
SELECT $1, 0, n, n, $2, 1, $3, $4, $5::bigint, n, n, n + $5::bigint, false FROM (SELECT ${NOW_MS} AS n) AS clock
ON CONFLICT (stream) DO NOTHING
RETURNING ${LEASE_COLUMNS}, lease_since AS now`,
    ),
    /** Under the row lock, the claim judges the current holder (by the database's clock, `now`) before replacing it. */
    lockLease: named('lock_lease', `SELECT version, ${LEASE_COLUMNS}, ${NOW_MS} AS now FROM ${streams} WHERE stream = $1 FOR UPDATE`),
    claimOver: named(
      'claim_over',
      `UPDATE ${streams} SET lease_token = $2, lease_epoch = $3, lease_pid = $4, lease_host = $5, lease_ttl_ms = $6,
  lease_since = $7, lease_heartbeat_at = $7, lease_expires_at = $7::bigint + $6::bigint, lease_released = false
WHERE stream = $1`,
    ),
    renewLease: named(
      'renew_lease',
      `UPDATE ${streams} SET lease_heartbeat_at = ${NOW_MS}, lease_expires_at = ${NOW_MS} + lease_ttl_ms
WHERE stream = $1 AND lease_token = $2 AND lease_epoch = $3 AND NOT lease_released AND lease_expires_at > ${NOW_MS}`,
    ),
    submitRun: named(
      'submit_run',
      `INSERT INTO ${queue} (run_id, plan, plan_file, repo, ref, base_sha, state, submitted_at)
VALUES ($1, $2, $3, $4, $5, $6, 'queued', ${NOW_MS}) RETURNING *`,
    ),
    /**
     * The oldest run no live lease holds, locked so that concurrent claimers skip it rather than wait
     * (SKIP LOCKED): each gets a different run. Its streams row, if any, is locked too, so the lease is
     * judged and replaced in this same transaction. A run parked at an approval gate waits until a decision
     * is appended to its decisions stream (or its log moves, resumed by hand). $1 is the decisions streams'
     * prefix.
     */
    pickClaimable: named(
      'pick_claimable',
      `SELECT q.run_id FROM ${queue} q LEFT JOIN ${streams} s ON s.stream = q.run_id
  LEFT JOIN ${streams} d ON d.stream = $1 || q.run_id
WHERE q.state <> 'finished'
  AND (s.stream IS NULL OR s.lease_token IS NULL OR s.lease_released OR s.lease_expires_at <= ${NOW_MS})
  AND (q.state <> 'awaiting_approval' OR COALESCE(d.version, 0) > q.parked_decisions OR COALESCE(s.version, 0) > q.parked_version)
ORDER BY q.submitted_at, q.run_id
FOR UPDATE OF q SKIP LOCKED
LIMIT 1`,
    ),
    markRunning: named(
      'mark_running',
      `UPDATE ${queue} SET state = 'running', worker = $2, claims = claims + 1 WHERE run_id = $1 RETURNING *`,
    ),
    /** Only the lease holder records the end, in the same statement that checks it holds the lease. */
    finishRun: named(
      'finish_run',
      `UPDATE ${queue} SET state = 'finished', outcome = $4 WHERE run_id = $1 AND EXISTS (
  SELECT 1 FROM ${streams} WHERE stream = $1 AND lease_token = $2 AND lease_epoch = $3 AND NOT lease_released)`,
    ),
    /**
     * Parks a run at its approval gate: only by its lease holder, with its log's version now and the version
     * its decisions stream had when the worker found no decision there ($4); a decision (or a resume by hand)
     * moves past them and makes the run claimable again.
     */
    parkRun: named(
      'park_run',
      `UPDATE ${queue} q SET state = 'awaiting_approval',
  parked_version = s.version,
  parked_decisions = $4
FROM ${streams} s
WHERE q.run_id = $1 AND q.state = 'running'
  AND s.stream = $1 AND s.lease_token = $2 AND s.lease_epoch = $3 AND NOT s.lease_released`,
    ),
    requeueRun: named('requeue_run', `UPDATE ${queue} SET state = 'queued' WHERE run_id = $1 AND state = 'running'`),
    listQueue: named('list_queue', `SELECT * FROM ${queue} ORDER BY submitted_at, run_id`),
    notifyQueue: `NOTIFY ${channel}`,
    listenQueue: `LISTEN ${channel}`,
    releaseLease: named('release_lease', `UPDATE ${streams} SET lease_released = true WHERE stream = $1 AND lease_token = $2 AND lease_epoch = $3`),
  };
}

export type PostgresStatements = ReturnType<typeof postgresStatements>;

/** The parameters of `insertEvents` for events taking the seqs after `expectedVersion`: one array per column. */
export function insertEventsValues(stream: string, expectedVersion: number, events: readonly NewRunEvent[]): unknown[] {
  return [
    stream,
    events.map((_, i) => expectedVersion + i + 1),
    events.map((e) => e.type),
    events.map((e) => e.actor),
    events.map((e) => e.source),
    events.map((e) => e.target),
    events.map((e) => JSON.stringify(e.data)),
    events.map((e) => e.at),
  ];
}
