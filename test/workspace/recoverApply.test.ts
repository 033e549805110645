import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileChange } from '../../src/model/fileChange.js';
import { applyChangeSet, recoverInterruptedApply, rollbackChangeSet, sha256, type PreparedFile } from '../../src/workspace/index.js';
import { readTree, writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

const INITIAL = { 'src/edit.ts': 'old\n', 'keep.txt': 'keep\n' };

/**
 * What a process killed right after renaming the first file leaves behind: the manifest, the first file
 * in its new state, the second still staged beside its target (and, here, an older-style restore copy).
 */
async function halfApplied(changes: FileChange[]) {
  const root = tempDir();
  const repo = path.join(root, 'repo');
  writeTree(repo, INITIAL);
  const backupDir = path.join(root, 'backups', 'phase-0-attempt-1');
  await applyChangeSet({ repoRoot: repo, changes, backupDir });
  fs.rmSync(path.join(repo, 'src/made.ts'));
  fs.writeFileSync(path.join(repo, 'src/.made.ts.autopack-0badc0de.tmp'), 'made\n');
  // A restore copy named as earlier versions named them.
  fs.writeFileSync(path.join(repo, 'src/edit.ts.autopack-restore-0badc0de.tmp'), 'old\n');
  return { repo, backupDir };
}

describe('recoverInterruptedApply', () => {
  it.each([
    ['./ paths', ['./src/edit.ts', './src/made.ts']],
    ['paths with .. and doubled slashes', ['lib/../src/edit.ts', 'src//made.ts']],
  ])('puts a half-applied change set back when the model wrote %s', async (_name, [editPath, madePath]) => {
    const changes: FileChange[] = [
      { path: editPath ?? '', mode: 'modify', new_content: 'new\n' },
      { path: madePath ?? '', mode: 'create', new_content: 'made\n' },
    ];
    const { repo, backupDir } = await halfApplied(changes);
    expect(readTree(repo)['src/edit.ts']).toBe('new\n');

    await expect(recoverInterruptedApply(repo, backupDir, changes)).resolves.toBe(true);
    expect(readTree(repo)).toEqual(INITIAL);
    expect(fs.readdirSync(path.join(repo, 'src'))).toEqual(['edit.ts']);
    expect(fs.existsSync(backupDir)).toBe(false);
  });

  it('still refuses a file something else changed meanwhile, whatever the spelling', async () => {
    const changes: FileChange[] = [
      { path: './src/edit.ts', mode: 'modify', new_content: 'new\n' },
      { path: './src/made.ts', mode: 'create', new_content: 'made\n' },
    ];
    const { repo, backupDir } = await halfApplied(changes);
    fs.writeFileSync(path.join(repo, 'src/edit.ts'), 'edited by hand\n');
    await expect(recoverInterruptedApply(repo, backupDir, changes)).rejects.toMatchObject({
      code: 'ROLLBACK_FAILED',
      message: expect.stringMatching(/^src\/edit\.ts changed while the run was down/),
    });
    expect(readTree(repo)['src/edit.ts']).toBe('edited by hand\n');
  });
});

describe('an attempt that only creates files', () => {
  const created: FileChange[] = [
    { path: 'made.txt', mode: 'create', new_content: 'made\n' },
    { path: 'new/deep.txt', mode: 'create', new_content: 'deep\n' },
  ];

  /** What the run logs before the first rename, and what a process killed after that rename leaves: no backup folder. */
  async function halfCreated() {
    const root = tempDir();
    const repo = path.join(root, 'repo');
    writeTree(repo, INITIAL);
    const backupDir = path.join(root, 'backups', 'phase-0-attempt-1');
    let prepared: PreparedFile[] = [];
    await applyChangeSet({ repoRoot: repo, changes: created, backupDir, onPrepared: (files) => void (prepared = files) });
    fs.rmSync(path.join(repo, 'new/deep.txt'));
    fs.writeFileSync(path.join(repo, 'new/.deep.txt.autopack-0badc0de.tmp'), 'deep\n');
    return { repo, backupDir, prepared };
  }

  it('keeps no backup folder, and logs that none of its files existed', async () => {
    const { backupDir, prepared } = await halfCreated();
    expect(fs.existsSync(backupDir)).toBe(false);
    expect(prepared).toEqual([
      { path: 'made.txt', beforeSha256: null, afterSha256: sha256('made\n') },
      { path: 'new/deep.txt', beforeSha256: null, afterSha256: sha256('deep\n') },
    ]);
  });

  it('is undone from what was prepared: its files and staged copies removed', async () => {
    const { repo, backupDir, prepared } = await halfCreated();
    await expect(recoverInterruptedApply(repo, backupDir, created, prepared)).resolves.toBe(true);
    expect(readTree(repo)).toEqual(INITIAL);
    expect(fs.readdirSync(path.join(repo, 'new'))).toEqual([]);
  });

  it('applied again, takes none of the files the dead process wrote for pre-existing, so its rollback removes them', async () => {
    const { repo, backupDir, prepared } = await halfCreated();
    const applied = await applyChangeSet({ repoRoot: repo, changes: created, backupDir, preparedBefore: prepared });
    expect(applied.files.map((f) => [f.path, f.existedBefore])).toEqual([
      ['made.txt', false],
      ['new/deep.txt', false],
    ]);
    expect(readTree(repo)).toEqual({ ...INITIAL, 'made.txt': 'made\n', 'new/deep.txt': 'deep\n' });
    expect(fs.existsSync(backupDir)).toBe(false);
    await rollbackChangeSet({ repoRoot: repo, applied });
    expect(readTree(repo)).toEqual(INITIAL);
  });

  it('refuses a file something else wrote where a new file was to be, and leaves it', async () => {
    const { repo, backupDir, prepared } = await halfCreated();
    fs.writeFileSync(path.join(repo, 'made.txt'), 'written by hand\n');
    await expect(recoverInterruptedApply(repo, backupDir, created, prepared)).rejects.toMatchObject({
      code: 'ROLLBACK_FAILED',
      message: expect.stringMatching(/^made\.txt changed while the run was down .* It did not exist before; decide which to keep/),
    });
    expect(readTree(repo)['made.txt']).toBe('written by hand\n');
  });

  it('with nothing prepared, finds nothing to undo', async () => {
    const root = tempDir();
    const repo = path.join(root, 'repo');
    writeTree(repo, INITIAL);
    await expect(recoverInterruptedApply(repo, path.join(root, 'backups', 'phase-0-attempt-1'), created)).resolves.toBe(false);
    expect(readTree(repo)).toEqual(INITIAL);
  });
});

