import fs from 'node:fs';
import path from 'node:path';
import { AutopackError } from '../model/errors.js';
import type { EventStore, RunQueue } from '../store/index.js';
import { describeLocation, isDatabaseUrl, openEventStore, resolveLocation } from '../store/openEventStore.js';
import { listRunStreams } from '../store/decisions.js';
import { cliCommand } from './commandName.js';

export interface LogLocation {
  repo?: string | undefined;
  db?: string | undefined;
}

/** The log the user named: `--db` (a SQLite file or a postgres:// URL), else AUTOPACK_DB; else undefined. */
export function givenDbPath(location: LogLocation, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = location.db ?? (env['AUTOPACK_DB'] === '' ? undefined : env['AUTOPACK_DB']);
  return given === undefined ? undefined : resolveLocation(given, process.cwd());
}

/** The log a command works on: the one the user named, else the repository's own `.autonomous_runs/autopack.db`. */
export function dbPathFrom(location: LogLocation, env: NodeJS.ProcessEnv = process.env): string {
  return givenDbPath(location, env) ?? path.resolve(location.repo ?? '.', '.autonomous_runs', 'autopack.db');
}

export interface OpenedLog {
  store: EventStore;
  /** The location as it may be printed (a URL without its password). */
  dbPath: string;
  /** A PostgreSQL log's run queue (its runs not begun yet, the runs parked at gates); null on SQLite. */
  queue: RunQueue | null;
}

/** A PostgreSQL log with the run queue beside it; `pg` is loaded only here. */
async function openDatabaseLog(url: string): Promise<OpenedLog> {
  const { openPostgresLog } = await import('../store/postgresEventStore.js');
  return { ...(await openPostgresLog(url)), dbPath: describeLocation(url) };
}

/** Opens an existing log to read it; reading a run must never create or change a database. */
export async function openLogReadonly(location: LogLocation): Promise<OpenedLog> {
  const where = dbPathFrom(location);
  if (isDatabaseUrl(where)) return openDatabaseLog(where);
  return { store: await openEventStore(where, { readonly: true }), dbPath: describeLocation(where), queue: null };
}

/**
 * Opens an existing log to append to it (a decision, an undo): refused when the SQLite file is not there,
 * since creating an empty one would only hide a wrong --repo or --db.
 */
export async function openLogForWriting(location: LogLocation): Promise<OpenedLog> {
  const where = dbPathFrom(location);
  if (isDatabaseUrl(where)) return openDatabaseLog(where);
  const dbPath = describeLocation(where);
  if (!fs.existsSync(where)) {
    throw new AutopackError('RUN_NOT_FOUND', `no event log at ${dbPath}; point at the run's log with --repo DIR or --db PATH`);
  }
  return { store: await openEventStore(where), dbPath, queue: null };
}

export async function requireRun(store: EventStore, runId: string, dbPath: string): Promise<void> {
  if ((await store.version(runId)) === 0) {
    const known = (await listRunStreams(store)).slice(-5).map((s) => s.stream);
    const hint = known.length > 0 ? ` Recent runs: ${known.join(', ')}.` : '';
    throw new AutopackError('RUN_NOT_FOUND', `no run ${JSON.stringify(runId)} in ${dbPath}.${hint} \`${cliCommand()} status\` lists them`);
  }
}
