import path from 'node:path';
import { runsDirOf } from './runsDir.js';
import { AutopackError } from '../model/errors.js';
import type { EventStore } from '../store/eventStore.js';
import type { RunStartedData, StoredRunEvent } from '../store/events.js';

/** A run's start, from the first event of its log, with a clear error when there is no such run. */
export function runStartOf(first: StoredRunEvent | undefined, runId: string, dbPath: string): RunStartedData {
  if (first === undefined) throw new AutopackError('RUN_NOT_FOUND', `no run "${runId}" in ${dbPath}; \`autopack runs\` lists the runs there`);
  if (first.type !== 'run.started') throw new AutopackError('INTERNAL', `run ${runId}: its log does not begin with run.started`);
  return first.data;
}

/** A run's first event and its start, read alone from the log. */
export async function readRunStart(store: EventStore, runId: string, dbPath: string): Promise<{ first: StoredRunEvent; start: RunStartedData }> {
  const [first] = await store.read(runId, { limit: 1 });
  const start = runStartOf(first, runId, dbPath);
  return { first: first as StoredRunEvent, start };
}

/** Where a run keeps the pre-images of its applies. */
export function backupRootFor(repoRoot: string, runId: string): string {
  return path.join(runsDirOf(repoRoot), 'backups', runId);
}
