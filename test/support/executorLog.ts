import { createSqliteEventStore, type PhaseExecutor, type StoredRunEvent } from '../../src/index.js';

/** A run's events as its executor's SQLite log holds them, read through a read-only handle of its own. */
export async function logOf(executor: PhaseExecutor, runId: string): Promise<StoredRunEvent[]> {
  const store = createSqliteEventStore(executor.dbPath, { readonly: true });
  try {
    return await store.read(runId);
  } finally {
    store.close();
  }
}
