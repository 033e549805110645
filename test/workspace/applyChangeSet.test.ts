import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyChangeSet, rollbackChangeSet, sha256 } from '../../src/workspace/index.js';
import type { FileChange } from '../../src/model/fileChange.js';
import { readTree, writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

function setup() {
  const root = tempDir();
  const repo = path.join(root, 'repo');
  writeTree(repo, { 'keep.txt': 'keep\n', 'edit.txt': 'old\n', 'gone.txt': 'bye\n', 'bin/run.sh': '#!/bin/sh\necho old\n' });
  fs.chmodSync(path.join(repo, 'bin/run.sh'), 0o755);
  return { repo, backupDir: path.join(root, 'backups', 'attempt-1') };
}

/** Every entry under the repo, directories included, so created directories and stray temp files show. */
function entries(repo: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      out.push(path.relative(repo, full) + (entry.isDirectory() ? '/' : ''));
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(repo);
  return out.sort();
}

const changes: FileChange[] = [
  { path: 'new/deep/file.txt', mode: 'create', new_content: 'fresh\n' },
  { path: 'edit.txt', mode: 'modify', new_content: 'new\n' },
  { path: 'gone.txt', mode: 'delete', new_content: null },
  { path: 'bin/run.sh', mode: 'modify', new_content: '#!/bin/sh\necho new\n' },
];

describe('applyChangeSet', () => {
  it('creates, modifies and deletes together, with hashes, new directories and kept permissions', async () => {
    const { repo, backupDir } = setup();
    const applied = await applyChangeSet({ repoRoot: repo, changes, backupDir });
    expect(readTree(repo)).toEqual({ 'keep.txt': 'keep\n', 'edit.txt': 'new\n', 'new/deep/file.txt': 'fresh\n', 'bin/run.sh': '#!/bin/sh\necho new\n' });
    expect(fs.statSync(path.join(repo, 'bin/run.sh')).mode & 0o777).toBe(0o755);
    expect(applied.files).toEqual([
      { path: 'new/deep/file.txt', mode: 'create', existedBefore: false, beforeSha256: null, afterSha256: sha256('fresh\n'), bytes: 6 },
      { path: 'edit.txt', mode: 'modify', existedBefore: true, beforeSha256: sha256('old\n'), afterSha256: sha256('new\n'), bytes: 4 },
      { path: 'gone.txt', mode: 'delete', existedBefore: true, beforeSha256: sha256('bye\n'), afterSha256: null, bytes: 0 },
      { path: 'bin/run.sh', mode: 'modify', existedBefore: true, beforeSha256: sha256('#!/bin/sh\necho old\n'), afterSha256: sha256('#!/bin/sh\necho new\n'), bytes: 19 },
    ]);
    expect(applied.createdDirs).toEqual(['new/deep', 'new']);
  });

  it('on a real write error leaves the tree byte-for-byte as it was, with no temp files', async () => {
    const { repo, backupDir } = setup();
    const before = entries(repo);
    const beforeContent = readTree(repo);
    // keep.txt is a regular file, so keep.txt/child.txt cannot be created (ENOTDIR), after the others staged.
    const failing: FileChange[] = [...changes, { path: 'keep.txt/child.txt', mode: 'create', new_content: 'x' }];
    await expect(applyChangeSet({ repoRoot: repo, changes: failing, backupDir })).rejects.toMatchObject({
      code: 'APPLY_FAILED',
      message: expect.stringMatching(/could not write keep\.txt\/child\.txt: .*ENOTDIR.*the repository was left as it was/),
    });
    expect(entries(repo)).toEqual(before);
    expect(readTree(repo)).toEqual(beforeContent);
  });

  it('refuses a path outside the repository even if validation was skipped', async () => {
    const { repo, backupDir } = setup();
    await expect(applyChangeSet({ repoRoot: repo, changes: [{ path: '../evil.txt', mode: 'create', new_content: 'x' }], backupDir })).rejects.toMatchObject({ code: 'APPLY_FAILED' });
    expect(fs.existsSync(path.join(repo, '..', 'evil.txt'))).toBe(false);
  });
});

describe('rollbackChangeSet', () => {
  it('restores the exact tree, removes created files and directories, and is idempotent', async () => {
    const { repo, backupDir } = setup();
    const before = entries(repo);
    const beforeContent = readTree(repo);
    const applied = await applyChangeSet({ repoRoot: repo, changes, backupDir });
    const { restored } = await rollbackChangeSet({ repoRoot: repo, applied });
    expect(restored.sort()).toEqual(changes.map((c) => c.path).sort());
    expect(entries(repo)).toEqual(before);
    expect(readTree(repo)).toEqual(beforeContent);
    expect(fs.statSync(path.join(repo, 'bin/run.sh')).mode & 0o777).toBe(0o755);
    await rollbackChangeSet({ repoRoot: repo, applied });
    expect(readTree(repo)).toEqual(beforeContent);
  });

  it('refuses to restore from a tampered pre-image', async () => {
    const { repo, backupDir } = setup();
    const applied = await applyChangeSet({ repoRoot: repo, changes, backupDir });
    const manifest = JSON.parse(fs.readFileSync(path.join(backupDir, 'manifest.json'), 'utf8')) as { path: string; backupFile: string | null }[];
    const editBackup = manifest.find((m) => m.path === 'edit.txt')?.backupFile ?? '';
    fs.writeFileSync(path.join(backupDir, editBackup), 'tampered');
    await expect(rollbackChangeSet({ repoRoot: repo, applied })).rejects.toMatchObject({
      code: 'ROLLBACK_FAILED',
      message: expect.stringContaining('cannot restore edit.txt'),
    });
  });
});

describe('an apply interrupted by a crash', () => {
  const changes: FileChange[] = [
    { path: 'edit.txt', mode: 'modify', new_content: 'new\n' },
    { path: 'made.txt', mode: 'create', new_content: 'made\n' },
  ];

  /** What a process that died after renaming the first file leaves: the manifest, one file moved, a staged copy. */
  async function halfApplied() {
    const { repo, backupDir } = setup();
    await applyChangeSet({ repoRoot: repo, changes, backupDir });
    fs.rmSync(path.join(repo, 'made.txt'));
    fs.writeFileSync(path.join(repo, '.made.txt.autopack-0badc0de.tmp'), 'made\n');
    return { repo, backupDir };
  }

  it('is undone and redone when the same attempt is applied again', async () => {
    const { repo, backupDir } = await halfApplied();
    expect(readTree(repo)['edit.txt']).toBe('new\n');
    const applied = await applyChangeSet({ repoRoot: repo, changes, backupDir });
    expect(applied.files.map((f) => [f.path, f.existedBefore])).toEqual([
      ['edit.txt', true],
      ['made.txt', false],
    ]);
    const tree = readTree(repo);
    expect(tree['edit.txt']).toBe('new\n');
    expect(tree['made.txt']).toBe('made\n');
    expect(entries(repo).filter((e) => e.includes('.autopack-'))).toEqual([]);
    // The pre-image kept is the original, not the half-applied content, so a rollback restores the original.
    await rollbackChangeSet({ repoRoot: repo, applied });
    expect(readTree(repo)['edit.txt']).toBe('old\n');
  });

  it('refuses to overwrite a file something else changed meanwhile', async () => {
    const { repo, backupDir } = await halfApplied();
    fs.writeFileSync(path.join(repo, 'edit.txt'), 'edited by hand\n');
    await expect(applyChangeSet({ repoRoot: repo, changes, backupDir })).rejects.toThrow(
      /edit\.txt changed while the run was down .* will not overwrite it/,
    );
    expect(readTree(repo)['edit.txt']).toBe('edited by hand\n');
  });
});
