import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultProtectedPaths, validateChanges } from '../../src/validation/index.js';
import { writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

function repo(): string {
  const root = tempDir();
  writeTree(root, {
    'src/app.ts': 'export const app = 1;\n',
    'README.md': '# r\n',
    '.github/workflows/ci.yml': 'on: push\n',
    '.git/config': '[core]\n',
    'big.txt': Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n'),
  });
  fs.mkdirSync(path.join(root, 'docs'));
  return root;
}

/** Validates as a run does: the default protected paths, with its event log at data/log.db inside the repository. */
const check = (root: string, changes: unknown[], allowMassDeletion = false) =>
  validateChanges(changes, { repoRoot: root, protectedPaths: defaultProtectedPaths(root, path.join(root, 'data', 'log.db')), allowMassDeletion });

const create = (p: string, content = 'x\n') => ({ path: p, mode: 'create', new_content: content });

describe('validateChanges accepts', () => {
  it.each([
    ['a new file', [create('src/new.ts')]],
    ['a new file in a new directory', [create('lib/deep/x.ts')]],
    ['a modify of an existing file', [{ path: 'src/app.ts', mode: 'modify', new_content: 'export const app = 2;\n' }]],
    ['a delete of an existing file', [{ path: 'README.md', mode: 'delete', new_content: null }]],
    ['a delete without new_content', [{ path: 'README.md', mode: 'delete' }]],
    ['create over an existing file (a whole-file overwrite)', [create('README.md', '# new\n')]],
    ['a path with ./ and .. that stays inside', [create('./src/../lib/x.ts')]],
    ['.github/, which .git/ does not protect', [{ path: '.github/workflows/ci.yml', mode: 'modify', new_content: 'on: pull_request\n' }]],
    ['Python Ellipsis, spread, and "Loading..."', [create('m.py', 'from typing import Tuple\n\ndef f() -> Tuple[int, ...]:\n    ...\n\nx = ...\nprint("Loading...")\n'), create('m.js', 'const f = (...args) => ({ ...args });\n// TODO: more cases\n')]],
    ['a symlink that stays inside the repository', [create('alias/x.ts')]],
    ['extra unknown fields on a change', [{ ...create('src/z.ts'), why: 'because' }]],
  ])('%s', (_name, changes) => {
    const root = repo();
    fs.symlinkSync('src', path.join(root, 'alias'));
    expect(check(root, changes)).toEqual([true, []]);
  });
});

describe('validateChanges rejects, naming the change and the rule', () => {
  it.each([
    ['an absolute POSIX path', create('/etc/passwd'), /files\[0\] "\/etc\/passwd": absolute path/],
    ['a Windows drive path', create('C:\\Windows\\x'), /"C:\\\\Windows\\\\x": absolute path/],
    ['a Windows drive path with slashes', create('C:/x'), /absolute path/],
    ['a UNC path', create('\\\\server\\share\\x'), /absolute path/],
    ['a //server/share path', create('//server/share/x'), /absolute path/],
    ['.. that leaves the repository', create('src/../../outside.txt'), /path leaves the repository/],
    ['an empty path', create(''), /empty path/],
    ['a NUL byte', create('a\0b'), /NUL byte/],
    ['a backslash', create('src\\app.ts'), /backslash; use forward slashes/],
    ['the repository root', create('.'), /repository root itself/],
    ['a protected .git/ file', create('.git/config'), /protected \(\.git\/\)/],
    ['./.git/config', create('./.git/config'), /protected/],
    ['src/../.git/HEAD', create('src/../.git/HEAD'), /protected/],
    ['.git itself', create('.git'), /protected/],
    ['autopack state', create('.autonomous_runs/x'), /protected \(\.autonomous_runs\/\)/],
    ['autopack.db', create('autopack.db'), /protected \(autopack\.db\)/],
    ['the event log WAL file', create('data/log.db-wal'), /protected/],
    ['an existing directory', create('docs'), /is a directory/],
    ['an unknown mode', { path: 'a.txt', mode: 'append', new_content: 'x' }, /unknown mode "append"; use one of create, modify, delete/],
    ['create without content', { path: 'a.txt', mode: 'create' }, /create needs new_content/],
    ['modify with non-string content', { path: 'src/app.ts', mode: 'modify', new_content: 42 }, /modify needs new_content/],
    ['modify of a missing file', { path: 'nope.ts', mode: 'modify', new_content: 'x' }, /cannot modify a file that does not exist; use "create"/],
    ['delete of a missing file', { path: 'nope.ts', mode: 'delete' }, /cannot delete a file that does not exist/],
    ['a path that is not a string', { path: 7, mode: 'create', new_content: 'x' }, /files\[0\]\.path: expected a string/],
    ['a change that is not an object', 'src/app.ts', /files\[0\]: expected an object/],
    ['an elision placeholder', create('src/new.ts', 'import x\n\n// ... existing code ...\n'), /elision placeholder \("\/\/ \.\.\. existing code \.\.\."\); send the complete file/],
    ['a mass deletion', { path: 'big.txt', mode: 'modify', new_content: 'line 0\nline 1\n' }, /keeps only 2 of the file's 40 non-blank lines.*allow_mass_deletion: true/],
  ])('%s', (_name, change, pattern) => {
    const [valid, errors] = check(repo(), [change]);
    expect(valid).toBe(false);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(pattern);
  });

  it('reports a duplicate after normalisation, naming the first occurrence', () => {
    const [valid, errors] = check(repo(), [create('a.txt'), create('./a.txt')]);
    expect(valid).toBe(false);
    expect(errors).toEqual(['files[1] "./a.txt": the same file as files[0]; send one change per file']);
  });

  it('reports every problem of a change set, one line each, and never throws', () => {
    const [valid, errors] = check(repo(), [create('/abs'), create('ok.txt'), null, create('.git/x')]);
    expect(valid).toBe(false);
    expect(errors.map((e) => e.slice(0, 9))).toEqual(['files[0] ', 'files[2]:', 'files[3] ']);
  });

  it('allows a mass deletion when the phase says so', () => {
    const change = { path: 'big.txt', mode: 'modify', new_content: 'line 0\n' };
    expect(check(repo(), [change], true)).toEqual([true, []]);
  });
});

describe('validateChanges and symlinks (real temp directories)', () => {
  it('rejects a path through a symlink that leaves the repository', () => {
    const parent = tempDir();
    const root = path.join(parent, 'repo');
    fs.mkdirSync(path.join(parent, 'outside'), { recursive: true });
    fs.mkdirSync(root);
    fs.symlinkSync('../outside', path.join(root, 'link'));
    const [valid, errors] = check(root, [create('link/x.txt')]);
    expect(valid).toBe(false);
    expect(errors).toEqual([`files[0] "link/x.txt": link is a symlink to ${fs.realpathSync(path.join(parent, 'outside'))}, outside the repository`]);
  });

  it('rejects a symlinked file that points outside', () => {
    const parent = tempDir();
    const root = path.join(parent, 'repo');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(parent, 'secret.txt'), 's');
    fs.symlinkSync('../secret.txt', path.join(root, 'innocent.txt'));
    const [valid, errors] = check(root, [{ path: 'innocent.txt', mode: 'modify', new_content: 'x' }]);
    expect(valid).toBe(false);
    expect(errors[0]).toMatch(/innocent\.txt is a symlink to .*secret\.txt, outside the repository/);
  });

  it.each([
    ['create', { path: 'link.txt', mode: 'create', new_content: 'x' }],
    ['modify', { path: 'link.txt', mode: 'modify', new_content: 'x' }],
    ['delete', { path: 'link.txt', mode: 'delete' }],
  ])('refuses to %s a file that is itself a symlink, naming its target', (_mode, change) => {
    const root = repo();
    fs.writeFileSync(path.join(root, 'real.txt'), 'real\n');
    fs.symlinkSync('real.txt', path.join(root, 'link.txt'));
    expect(check(root, [change])).toEqual([false, ['files[0] "link.txt": link.txt is a symlink (to real.txt); change real.txt itself']]);
  });

  it('names the target by its path in the repository, however the link spells it', () => {
    const root = repo();
    fs.symlinkSync('../src/app.ts', path.join(root, 'docs', 'app.ts'));
    fs.symlinkSync('../src', path.join(root, 'docs', 'code'));
    expect(check(root, [create('docs/app.ts'), create('docs/code')])[1]).toEqual([
      'files[0] "docs/app.ts": docs/app.ts is a symlink (to src/app.ts); change src/app.ts itself',
      'files[1] "docs/code": docs/code is a symlink (to the directory src); name a file inside src',
    ]);
  });

  it('rejects a path through a symlink into a protected directory', () => {
    const root = repo();
    fs.symlinkSync('.git', path.join(root, 'cfg'));
    const [valid, errors] = check(root, [create('cfg/config')]);
    expect(valid).toBe(false);
    expect(errors[0]).toMatch(/cfg is a symlink into the protected path \.git\//);
  });
});

describe('validateChanges and errors other than absence (real file-system conditions)', () => {
  it('treats only ENOENT and ENOTDIR (a parent that is a regular file or a FIFO) as absent', () => {
    const root = repo();
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    expect(check(root, [create('README.md/x.ts'), create('pipe/x.ts')])).toEqual([true, []]);
    expect(check(root, [{ path: 'pipe/x.ts', mode: 'modify', new_content: 'x' }])[1]).toEqual([
      'files[0] "pipe/x.ts": cannot modify a file that does not exist; use "create" for a new file',
    ]);
  });

  it('reports a file name the OS refuses (ENAMETOOLONG) instead of taking it for a new file', () => {
    const long = `src/${'a'.repeat(300)}.ts`;
    const [valid, errors] = check(repo(), [create(long)]);
    expect(valid).toBe(false);
    expect(errors).toEqual([
      `files[0] "${long}": cannot read it (ENAMETOOLONG: name too long); autopack does not write a file it cannot check: fix it on disk, or leave it out of the change`,
    ]);
  });

  it('reports a symlink loop on the path (ELOOP) instead of calling it broken', () => {
    const root = repo();
    fs.symlinkSync('loop', path.join(root, 'loop'));
    const [valid, errors] = check(root, [create('loop/x.ts')]);
    expect(valid).toBe(false);
    expect(errors).toEqual(['files[0] "loop/x.ts": cannot resolve the symlink loop (ELOOP: too many symbolic links encountered); write the file somewhere else']);
  });
});

describe('defaultProtectedPaths', () => {
  it('adds the event log and its side files when the database is inside the repository', () => {
    expect(defaultProtectedPaths('/r', '/r/.autonomous_runs/autopack.db')).toEqual([
      '.autonomous_runs/', '.git/', 'autopack.db',
      '.autonomous_runs/autopack.db', '.autonomous_runs/autopack.db-wal', '.autonomous_runs/autopack.db-shm', '.autonomous_runs/autopack.db-journal',
    ]);
    expect(defaultProtectedPaths('/r', '/r/state/run.db')).toContain('state/run.db-wal');
    expect(defaultProtectedPaths('/r', '/elsewhere/run.db')).toEqual(['.autonomous_runs/', '.git/', 'autopack.db']);
  });
});
