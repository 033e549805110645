import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appliedDiffs, formatFileDiff, type AppliedEvent } from '../../src/diff/index.js';
import type { FileChange } from '../../src/model/fileChange.js';
import type { StoredRunEvent } from '../../src/store/index.js';
import { applyChangeSet } from '../../src/workspace/index.js';
import { writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

const scoped = { stream: 'run-1', actor: 'phase-0', source: null, target: null, at: 1, position: 0 };

/** A real apply of `changes`, and the two events of the log that `appliedDiffs` reads: the proposal and the apply. */
async function appliedRun(changes: FileChange[]): Promise<{ events: StoredRunEvent[]; applied: AppliedEvent; backupDir: string }> {
  const root = tempDir();
  const repo = path.join(root, 'repo');
  writeTree(repo, { 'src/app.ts': 'one\ntwo\nthree\n', 'old.txt': 'bye\n' });
  const backupDir = path.join(root, 'backups', 'phase-0-attempt-2');
  const value = await applyChangeSet({ repoRoot: repo, changes, backupDir });
  const outcome = { ok: true as const, at: 1 };
  const parsed: StoredRunEvent = { ...scoped, seq: 1, type: 'response.parsed', data: { phaseIndex: 0, attempt: 2, outcome: { ...outcome, value: { summary: 's', files: changes } } } };
  const applied: AppliedEvent = { ...scoped, seq: 2, type: 'changes.applied', data: { phaseIndex: 0, attempt: 2, outcome: { ...outcome, value } } };
  return { events: [parsed, applied], applied, backupDir };
}

const CHANGES: FileChange[] = [
  { path: 'src/app.ts', mode: 'edit', edits: [{ search: 'two\n', replace: 'TWO\n' }] },
  { path: 'src/new.ts', mode: 'create', new_content: 'fresh\n' },
  { path: 'old.txt', mode: 'delete' },
];

describe('appliedDiffs', () => {
  it("diffs each applied file against its pre-image in the attempt's backup folder, an edit recomputed from it", async () => {
    const { events, applied } = await appliedRun(CHANGES);
    const diffs = appliedDiffs(events, applied, { context: 1 });
    expect(diffs.map((d) => [d.path, d.mode, d.kind, d.status])).toEqual([
      ['src/app.ts', 'edit', 'text', 'modified'],
      ['src/new.ts', 'create', 'text', 'created'],
      ['old.txt', 'delete', 'text', 'deleted'],
    ]);
    expect(diffs.map(formatFileDiff)).toEqual([
      ['--- a/src/app.ts', '+++ b/src/app.ts', '@@ -1,3 +1,3 @@', ' one', '-two', '+TWO', ' three'].join('\n'),
      ['--- /dev/null', '+++ b/src/new.ts', '@@ -0,0 +1,1 @@', '+fresh'].join('\n'),
      ['--- a/old.txt', '+++ /dev/null', '@@ -1,1 +0,0 @@', '-bye'].join('\n'),
    ]);
  });

  it('says a diff is unavailable when the pre-image is gone or is not the one logged, and never guesses', async () => {
    const { events, applied, backupDir } = await appliedRun(CHANGES);
    fs.writeFileSync(path.join(backupDir, '2'), 'something else\n');
    const [, created, deleted] = appliedDiffs(events, applied);
    expect(created?.kind).toBe('text');
    expect(deleted).toMatchObject({ kind: 'unavailable', path: 'old.txt', reason: expect.stringContaining('its sha256 is not the one logged') });

    fs.rmSync(backupDir, { recursive: true });
    const [edited] = appliedDiffs(events, applied);
    expect(edited).toMatchObject({ kind: 'unavailable', status: 'modified', reason: `its pre-image is no longer in ${path.join(backupDir, '0')} (the attempt's backup folder was removed, or is on another machine)` });
    expect(formatFileDiff(edited as NonNullable<typeof edited>)).toMatch(/^No diff for src\/app\.ts: its pre-image is no longer in /);
  });

  it('reads the proposal of the same attempt, and says so when the log has none', async () => {
    const { events, applied } = await appliedRun(CHANGES.slice(1, 2));
    expect(appliedDiffs(events.slice(1), applied)).toEqual([
      { kind: 'unavailable', path: 'src/new.ts', status: 'created', mode: 'create', reason: 'the proposal it came from is not in the log' },
    ]);
    const otherAttempt = { ...events[0], data: { ...(events[0] as Extract<StoredRunEvent, { type: 'response.parsed' }>).data, attempt: 1 } } as StoredRunEvent;
    expect(appliedDiffs([otherAttempt, applied], applied)[0]?.kind).toBe('unavailable');
  });
});
