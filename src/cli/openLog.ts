import fs from 'node:fs';
import path from 'node:path';
import { AutopackError } from '../model/errors.js';
import { createSqliteEventStore, type EventStore } from '../store/index.js';

export interface LogLocation {
  repo?: string | undefined;
  db?: string | undefined;
}

export function dbPathFrom(location: LogLocation): string {
  return location.db !== undefined
    ? path.resolve(location.db)
    : path.resolve(location.repo ?? '.', '.autonomous_runs', 'autopack.db');
}

/** Opens an existing log read-only; reading a run must never create or change a database. */
export function openLogReadonly(location: LogLocation): { store: EventStore; dbPath: string } {
  const dbPath = dbPathFrom(location);
  if (!fs.existsSync(dbPath)) {
    throw new AutopackError(
      'RUN_NOT_FOUND',
      `no event log at ${dbPath}; run a plan first, or point at the log with --db PATH or --repo DIR`,
    );
  }
  return { store: createSqliteEventStore(dbPath, { readonly: true }), dbPath };
}

export async function requireRun(store: EventStore, runId: string, dbPath: string): Promise<void> {
  if ((await store.version(runId)) === 0) {
    const known = (await store.listStreams()).slice(-5).map((s) => s.stream);
    const hint = known.length > 0 ? ` Recent runs: ${known.join(', ')}.` : '';
    throw new AutopackError('RUN_NOT_FOUND', `no run ${JSON.stringify(runId)} in ${dbPath}.${hint} \`autopack status\` lists them`);
  }
}
