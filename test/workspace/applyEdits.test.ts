import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileChange } from '../../src/model/fileChange.js';
import { defaultProtectedPaths, validateChanges } from '../../src/validation/index.js';
import { applyChangeSet, recoverInterruptedApply, sha256 } from '../../src/workspace/index.js';
import { readTree, writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

const APP = ['import { a } from "./a";', '', 'export function main() {', '  const x = a(1);', '  return x + 1;', '}', ''].join('\n');

function setup() {
  const root = tempDir();
  const repo = path.join(root, 'repo');
  writeTree(repo, { 'src/app.ts': APP, 'src/a.ts': 'export const a = (n: number) => n;\n', 'notes.md': 'one\ntwo\n' });
  return { repo, backupDir: path.join(root, 'backups', 'attempt-1') };
}

const check = (repo: string, changes: unknown[]) =>
  validateChanges(changes, { repoRoot: repo, protectedPaths: defaultProtectedPaths(repo, path.join(repo, '.autonomous_runs', 'autopack.db')) });

const edit = (p: string, edits: { search: string; replace: string }[]): FileChange => ({ path: p, mode: 'edit', edits });

describe('edit changes in validation', () => {
  it('accepts edits whose searches each match one place', () => {
    const { repo } = setup();
    expect(check(repo, [edit('src/app.ts', [{ search: '  return x + 1;\n', replace: '  return x + 2;\n' }])])).toEqual([true, []]);
  });

  it.each([
    ['a file that does not exist', edit('src/none.ts', [{ search: 'x', replace: 'y' }]), /cannot edit a file that does not exist; send the whole file with mode "create"/],
    ['no edits', { path: 'src/app.ts', mode: 'edit', edits: [] }, /mode "edit" needs edits/],
    ['edits and new_content both', { path: 'src/app.ts', mode: 'edit', new_content: 'x', edits: [{ search: '}', replace: '}' }] }, /either edits or new_content, not both/],
    ['edits under another mode', { path: 'src/app.ts', mode: 'modify', new_content: APP, edits: [{ search: '}', replace: '}' }] }, /has edits but mode "modify"; use mode "edit"/],
    ['a malformed edit', { path: 'src/app.ts', mode: 'edit', edits: [{ search: 'x' }] }, /edits\[0\] must be \{"search": string, "replace": string\}/],
    ['a search found nowhere', edit('src/app.ts', [{ search: '  return y;\n', replace: '  return z;\n' }]), /edits\[0\].*src\/app\.ts/],
    ['an elision placeholder in a replacement', edit('src/app.ts', [{ search: '  return x + 1;\n', replace: '  // ... rest of the code unchanged\n' }]), /elision placeholder/],
    ['a protected path', edit('.git/config', [{ search: 'x', replace: 'y' }]), /protected/],
  ])('refuses %s', (_name, change, message) => {
    const { repo } = setup();
    fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
    fs.writeFileSync(path.join(repo, '.git', 'config'), 'x\n');
    const [valid, errors] = check(repo, [change]);
    expect(valid).toBe(false);
    expect(errors.join('\n')).toMatch(message);
  });

  it('refuses edits that remove most of the file, as it refuses such a modify', () => {
    const { repo } = setup();
    const lines = Array.from({ length: 30 }, (_, i) => `const v${i} = ${i};`);
    writeTree(repo, { 'src/long.ts': `${lines.join('\n')}\n` });
    const [valid, errors] = check(repo, [edit('src/long.ts', [{ search: `${lines.slice(0, 25).join('\n')}\n`, replace: '' }])]);
    expect(valid).toBe(false);
    expect(errors.join('\n')).toMatch(/these edits keep only 5 of the file's 30 non-blank lines/);
    expect(check(repo, [edit('src/long.ts', [{ search: `${lines.slice(0, 5).join('\n')}\n`, replace: '' }])])).toEqual([true, []]);
  });
});

describe('edit changes in the apply', () => {
  it('writes the edited file and logs the hashes of what it held and holds', async () => {
    const { repo, backupDir } = setup();
    const prepared: unknown[] = [];
    const applied = await applyChangeSet({
      repoRoot: repo,
      backupDir,
      changes: [edit('src/app.ts', [{ search: '  return x + 1;', replace: '  return x * 2;' }]), { path: 'src/b.ts', mode: 'create', new_content: 'b\n' }],
      onPrepared: (files) => void prepared.push(...files),
    });
    const after = APP.replace('x + 1', 'x * 2');
    expect(readTree(repo)['src/app.ts']).toBe(after);
    expect(applied.files[0]).toEqual({ path: 'src/app.ts', mode: 'edit', existedBefore: true, beforeSha256: sha256(APP), afterSha256: sha256(after), bytes: Buffer.byteLength(after) });
    expect(prepared[0]).toEqual({ path: 'src/app.ts', beforeSha256: sha256(APP), afterSha256: sha256(after) });
  });

  it('writes nothing when an edit no longer applies to the file as it is now (changed after validation)', async () => {
    const { repo, backupDir } = setup();
    const before = readTree(repo);
    const changes = [{ path: 'src/b.ts', mode: 'create' as const, new_content: 'b\n' }, edit('notes.md', [{ search: 'three\n', replace: '3\n' }])];
    await expect(applyChangeSet({ repoRoot: repo, backupDir, changes })).rejects.toMatchObject({ code: 'APPLY_FAILED' });
    expect(readTree(repo)).toEqual(before);
  });

  it('recovers an edit apply that a dead process left half done, from its pre-image', async () => {
    const { repo, backupDir } = setup();
    const changes = [edit('src/app.ts', [{ search: '  return x + 1;', replace: '  return x * 2;' }]), edit('notes.md', [{ search: 'two', replace: 'TWO' }])];
    // The dead process: pre-images saved and manifest written, then only the first file renamed into place.
    await applyChangeSet({ repoRoot: repo, backupDir, changes });
    fs.writeFileSync(path.join(repo, 'notes.md'), 'one\ntwo\n');
    expect(await recoverInterruptedApply(repo, backupDir, changes)).toBe(true);
    expect(readTree(repo)).toMatchObject({ 'src/app.ts': APP, 'notes.md': 'one\ntwo\n' });
  });
});
