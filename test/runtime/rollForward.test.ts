import { describe, expect, it } from 'vitest';
import type { FileChange } from '../../src/model/fileChange.js';
import { rollForward } from '../../src/runtime/rollForward.js';
import type { StoredRunEvent } from '../../src/store/index.js';
import { sha256 } from '../../src/workspace/index.js';
import { readTree, writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

/** The log of a phase whose attempt applied `files` (whole or edits) and went no further: what a takeover finds. */
function appliedLog(files: FileChange[], prepared: { path: string; beforeSha256: string | null; afterSha256: string | null }[]): StoredRunEvent[] {
  const scoped = { phaseIndex: 0, attempt: 1 };
  const rows = [
    { type: 'response.parsed', data: { ...scoped, outcome: { ok: true, value: { summary: 's', files }, at: 1 } } },
    { type: 'changes.prepared', data: { ...scoped, files: prepared } },
    {
      type: 'changes.applied',
      data: { ...scoped, outcome: { ok: true, value: { backupDir: '/gone', files: [], createdDirs: [] }, at: 2 } },
    },
  ];
  return rows.map((row, i) => ({ ...row, stream: 'run', seq: i + 1, position: i + 1, actor: 'phase-0', source: 'applying', target: 'health_checking', at: i })) as StoredRunEvent[];
}

describe('rollForward', () => {
  const before = 'a\nb\nc\n';
  const after = 'a\nB\nc\n';
  const edit: FileChange = { path: 'f.txt', mode: 'edit', edits: [{ search: 'b', replace: 'B' }] };
  const log = appliedLog([edit, { path: 'new.txt', mode: 'create', new_content: 'n\n' }], [
    { path: 'f.txt', beforeSha256: sha256(before), afterSha256: sha256(after) },
    { path: 'new.txt', beforeSha256: null, afterSha256: sha256('n\n') },
  ]);

  it('re-applies an edit to the checkout of the last commit, checked against the logged hash', () => {
    const repo = tempDir();
    writeTree(repo, { 'f.txt': before });
    expect(rollForward(log, repo)).toEqual(['f.txt', 'new.txt']);
    expect(readTree(repo)).toEqual({ 'f.txt': after, 'new.txt': 'n\n' });
  });

  it('leaves a file that already holds the logged result as it is (the edit is not applied twice)', () => {
    const repo = tempDir();
    writeTree(repo, { 'f.txt': after });
    rollForward(log, repo);
    expect(readTree(repo)['f.txt']).toBe(after);
  });

  it('refuses when the checkout holds neither the file the edit was made to nor its result', () => {
    const repo = tempDir();
    writeTree(repo, { 'f.txt': 'a\nb\nc\nd\n' });
    expect(() => rollForward(log, repo)).toThrow(/does not hash to what the log recorded/);
  });
});
