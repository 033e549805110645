import { randomBytes } from 'node:crypto';

/** Sortable by start time and readable in a terminal: run-20261125-031522-a1b2c3. */
export function createRunId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A run id as createRunId makes them: it names a branch (`autopack/<id>`) and folders, so nothing else. */
export const RUN_ID_PATTERN = /^run-\d{8}-\d{6}-[0-9a-f]{6}$/;
