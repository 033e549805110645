import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openGitRepo, uncommittedPaths } from '../../src/git/index.js';
import { parsePorcelainV1Z } from '../../src/git/uncommittedPaths.js';
import { writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';
import { git, makeRepo, useHermeticGit } from '../support/gitFixture.js';

describe('parsePorcelainV1Z', () => {
  it('reads both sides of renames and copies, and names with spaces, arrows and quotes as they are', () => {
    const output = ['R  new name.txt', 'old name.txt', ' M a -> b.txt', 'C  copy.txt', 'src.txt', '?? "q".txt', 'D  gone', ''].join('\0');
    expect(parsePorcelainV1Z(output)).toEqual(['new name.txt', 'old name.txt', 'a -> b.txt', 'copy.txt', 'src.txt', '"q".txt', 'gone']);
  });
});

describe('uncommittedPaths', () => {
  useHermeticGit();
  const tempDir = useTempDirs();

  it('lists staged, unstaged, untracked, renamed (both sides) and deleted files, with odd names, not ignored ones', async () => {
    const dir = makeRepo(tempDir(), {
      committed: {
        '.gitignore': 'build/\n',
        'staged.txt': 's\n',
        'unstaged.txt': 'u\n',
        'to rename.txt': 'r\n',
        'deleted.txt': 'd\n',
        'del staged.txt': 'd\n',
        'clean.txt': 'c\n',
      },
    });
    writeTree(dir, { 'staged.txt': 's2\n', 'unstaged.txt': 'u2\n', 'new dir/ünï cödé.txt': 'n\n', 'build/out.js': 'ignored\n', 'tab\there.txt': 't\n' });
    git(dir, 'add', 'staged.txt');
    git(dir, 'mv', 'to rename.txt', 'renamed → ✓.txt');
    fs.rmSync(path.join(dir, 'deleted.txt'));
    git(dir, 'rm', '-q', 'del staged.txt');

    const repo = (await openGitRepo(dir))!;
    expect([...(await uncommittedPaths(repo))].sort()).toEqual(
      ['deleted.txt', 'del staged.txt', 'new dir/ünï cödé.txt', 'renamed → ✓.txt', 'staged.txt', 'tab\there.txt', 'to rename.txt', 'unstaged.txt'].sort(),
    );
  });

  it('is empty for a clean repository and lists untracked files on an unborn branch', async () => {
    const clean = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    expect((await uncommittedPaths((await openGitRepo(clean))!)).size).toBe(0);
    const unborn = makeRepo(tempDir());
    writeTree(unborn, { 'x/y.txt': 'y\n' });
    expect([...(await uncommittedPaths((await openGitRepo(unborn))!))]).toEqual(['x/y.txt']);
  });

  it('in a subdirectory, lists only paths under it, relative to it', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'app/a.txt': 'a\n', 'other/b.txt': 'b\n', 'app2/c.txt': 'c\n' } });
    writeTree(dir, { 'app/a.txt': 'a2\n', 'app/new.txt': 'n\n', 'other/b.txt': 'b2\n', 'app2/c.txt': 'c2\n', 'top.txt': 't\n' });
    const repo = (await openGitRepo(path.join(dir, 'app')))!;
    expect(repo.prefix).toBe('app');
    expect([...(await uncommittedPaths(repo))].sort()).toEqual(['a.txt', 'new.txt']);
  });
});
