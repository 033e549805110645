import { AutopackError } from '../model/errors.js';
import type { EventStore, RunQueue } from '../store/index.js';
import { isDatabaseUrl } from '../store/openEventStore.js';
import { givenDbPath, type LogLocation } from './openLog.js';

/** The PostgreSQL URL `submit` and `worker` need (`--db postgres://…` or AUTOPACK_DB), checked before anything else. */
export function queueUrl(command: string, location: LogLocation): string {
  const url = givenDbPath(location);
  if (url === undefined || !isDatabaseUrl(url)) {
    throw new AutopackError(
      'INPUT_INVALID',
      `autopack ${command} needs the run queue, which lives in PostgreSQL: pass --db postgres://user@host/db (or set AUTOPACK_DB)` +
        (url === undefined ? '' : `; ${url} is a SQLite file`),
    );
  }
  return url;
}

/** The PostgreSQL log and its run queue at `url` (from queueUrl). */
export async function openQueueLog(url: string): Promise<{ store: EventStore; queue: RunQueue; url: string }> {
  const { openPostgresLog } = await import('../store/postgresEventStore.js');
  return { ...(await openPostgresLog(url)), url };
}
