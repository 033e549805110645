import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileChange } from '../../src/model/fileChange.js';
import { validateChanges } from '../../src/validation/index.js';
import { applyChangeSet, rollbackChangeSet } from '../../src/workspace/index.js';
import { readTree, writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

/** A repository beside a directory outside it, and where the attempt's pre-images go. */
function setup() {
  const root = tempDir();
  const repo = path.join(root, 'repo');
  const outside = path.join(root, 'outside');
  writeTree(repo, { 'real.txt': 'real\n', 'edit.txt': 'old\n', 'sub/keep.txt': 'keep\n' });
  writeTree(outside, { 'theirs.txt': 'not yours\n' });
  return { repo, outside, backupDir: path.join(root, 'backups', 'attempt-1') };
}

/** Every entry with what it is: symlinks by their target, files by their content, directories marked. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (current: string): void => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const relative = path.relative(dir, full);
      if (entry.isSymbolicLink()) out[relative] = `-> ${fs.readlinkSync(full)}`;
      else if (entry.isDirectory()) {
        out[`${relative}/`] = 'dir';
        walk(full);
      } else out[relative] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const valid = (repo: string, changes: FileChange[]) => validateChanges(changes, { repoRoot: repo, protectedPaths: ['.git/'] });

describe('apply re-checks containment at write time, against the tree as it is then', () => {
  it('refuses a target that became a symlink after validation, and leaves the tree as it was', async () => {
    const { repo, backupDir } = setup();
    const changes: FileChange[] = [
      { path: 'edit.txt', mode: 'modify', new_content: 'new\n' },
      { path: 'link.txt', mode: 'create', new_content: 'through the link\n' },
    ];
    expect(valid(repo, changes)).toEqual([true, []]);
    fs.symlinkSync('real.txt', path.join(repo, 'link.txt'));
    const before = snapshot(repo);

    await expect(applyChangeSet({ repoRoot: repo, changes, backupDir })).rejects.toMatchObject({
      code: 'APPLY_FAILED',
      retryable: true,
      message:
        'refusing to write link.txt: it is a symlink (to real.txt), and autopack writes only regular files inside the repository; ' +
        'nothing was written. The tree changed after validation: check what changed it',
    });
    expect(snapshot(repo)).toEqual(before);
    expect(fs.existsSync(backupDir)).toBe(false);
  });

  it('refuses when a directory on the path was swapped for a symlink leading out, and writes nothing outside', async () => {
    const { repo, outside, backupDir } = setup();
    const changes: FileChange[] = [
      { path: 'edit.txt', mode: 'modify', new_content: 'new\n' },
      { path: 'sub/deep/new.txt', mode: 'create', new_content: 'escaped?\n' },
    ];
    expect(valid(repo, changes)).toEqual([true, []]);
    fs.rmSync(path.join(repo, 'sub'), { recursive: true });
    fs.symlinkSync('../outside', path.join(repo, 'sub'));
    const before = { repo: snapshot(repo), outside: snapshot(outside) };

    const failure = applyChangeSet({ repoRoot: repo, changes, backupDir });
    await expect(failure).rejects.toMatchObject({ code: 'APPLY_FAILED' });
    await expect(failure).rejects.toThrow(
      `refusing to write sub/deep/new.txt: its directory ${path.join(repo, 'sub')} resolves to ${fs.realpathSync(outside)}, outside the repository`,
    );
    expect({ repo: snapshot(repo), outside: snapshot(outside) }).toEqual(before);
  });

  it('still writes through a symlinked directory that stays inside the repository', async () => {
    const { repo, backupDir } = setup();
    fs.symlinkSync('sub', path.join(repo, 'alias'));
    const changes: FileChange[] = [{ path: 'alias/new.txt', mode: 'create', new_content: 'in sub\n' }];
    expect(valid(repo, changes)).toEqual([true, []]);
    await applyChangeSet({ repoRoot: repo, changes, backupDir });
    expect(readTree(repo)['sub/new.txt']).toBe('in sub\n');
  });
});

describe('rollback re-checks containment at write time', () => {
  it('does not delete a symlink found where a created file was, nor restore anything else', async () => {
    const { repo, backupDir } = setup();
    const changes: FileChange[] = [
      { path: 'edit.txt', mode: 'modify', new_content: 'new\n' },
      { path: 'made.txt', mode: 'create', new_content: 'made\n' },
    ];
    const applied = await applyChangeSet({ repoRoot: repo, changes, backupDir });
    fs.rmSync(path.join(repo, 'made.txt'));
    fs.symlinkSync('real.txt', path.join(repo, 'made.txt'));
    const before = snapshot(repo);

    await expect(rollbackChangeSet({ repoRoot: repo, applied })).rejects.toMatchObject({
      code: 'ROLLBACK_FAILED',
      message: expect.stringMatching(
        /^cannot restore made\.txt: it is a symlink \(to real\.txt\), and autopack writes only regular files inside the repository; nothing was restored\. Its pre-image is in .*attempt-1 .*put it back by hand/,
      ),
    });
    expect(snapshot(repo)).toEqual(before);
    expect(fs.lstatSync(path.join(repo, 'made.txt')).isSymbolicLink()).toBe(true);
  });

  it('does not delete a file outside the repository when a directory was swapped for a symlink leading out', async () => {
    const { repo, outside, backupDir } = setup();
    const applied = await applyChangeSet({ repoRoot: repo, changes: [{ path: 'sub/theirs.txt', mode: 'create', new_content: 'ours\n' }], backupDir });
    fs.rmSync(path.join(repo, 'sub'), { recursive: true });
    fs.symlinkSync('../outside', path.join(repo, 'sub'));

    await expect(rollbackChangeSet({ repoRoot: repo, applied })).rejects.toMatchObject({
      code: 'ROLLBACK_FAILED',
      message: expect.stringContaining('cannot restore sub/theirs.txt: its directory'),
    });
    expect(fs.readFileSync(path.join(outside, 'theirs.txt'), 'utf8')).toBe('not yours\n');
  });
});
