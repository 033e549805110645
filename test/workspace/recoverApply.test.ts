import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileChange } from '../../src/model/fileChange.js';
import { applyChangeSet, recoverInterruptedApply } from '../../src/workspace/index.js';
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
