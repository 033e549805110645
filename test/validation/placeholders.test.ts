import { describe, expect, it } from 'vitest';
import { findElisionPlaceholder } from '../../src/validation/placeholders.js';
import { isMassDeletion, linesKept } from '../../src/validation/massDeletion.js';
import { isProtected, normalizeRepoPath } from '../../src/validation/protectedPaths.js';

describe('findElisionPlaceholder', () => {
  it.each([
    '// ... existing code ...',
    '  // ... rest of the code unchanged',
    '# ... (rest of file unchanged)',
    '/* ... remaining methods ... */',
    '<!-- ... rest unchanged ... -->',
    '// rest of the file remains the same',
    '# Rest of the implementation unchanged',
    '// existing code here',
    '// other methods omitted',
    '[... unchanged ...]',
    '[...]',
    '// ...',
    '# …',
    '[… unchanged]',
    '// existing imports …',
    '{/* ... existing JSX ... */}',
    '-- ... rest of the migration unchanged',
  ])('flags %j', (line) => {
    expect(findElisionPlaceholder(`first line\n${line}\nlast line\n`)).toBe(line.trim());
  });

  it.each([
    ['Python Ellipsis body', 'def f():\n    ...\n'],
    ['Ellipsis value', 'x = ...\n'],
    ['Tuple[int, ...]', 'def f() -> Tuple[int, ...]: pass\n'],
    ['spread', 'const merged = { ...a, ...b };\nfn(...args);\n'],
    ['a string with dots', 'console.log("Loading...");\nprint("Waiting...")\n'],
    ['markdown prose', 'We support JSON, YAML and so on...\n'],
    ['a comment that mentions the rest of the file', '// skip the rest of the file when the header is invalid\n'],
    ['a comment about existing users', '// Loading existing config\n'],
    ['a TODO', '// TODO: handle more cases later\n'],
    ['a range', '# for i in 1...10\n'],
  ])('accepts %s', (_name, content) => {
    expect(findElisionPlaceholder(content)).toBeNull();
  });
});

describe('mass deletion', () => {
  const old = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
  it('counts the old non-blank lines the new content keeps', () => {
    expect(linesKept(old, 'line 0\nline 1\n\nline 1\n')).toEqual({ kept: 2, total: 30 });
  });
  it('flags keeping under half of a 20+ line file, not small files or real edits', () => {
    expect(isMassDeletion(old, old.split('\n').slice(0, 14).join('\n'))).toBe(true);
    expect(isMassDeletion(old, old.split('\n').slice(0, 15).join('\n'))).toBe(false);
    expect(isMassDeletion('a\nb\nc\n', '')).toBe(false);
    expect(isMassDeletion(old, `${old}\nmore`)).toBe(false);
  });
});

describe('protected paths', () => {
  it.each([
    ['.git/config', true],
    ['./.git/config', true],
    ['src/../.git/HEAD', true],
    ['.git', true],
    ['.GIT/config', true],
    ['.github/workflows/ci.yml', false],
    ['.gitignore', false],
    ['src/.git/x', false],
    ['autopack.db', true],
    ['autopack.db.bak', false],
  ])('%s protected by the defaults: %s', (p, expected) => {
    expect(isProtected(p, ['.autonomous_runs/', '.git/', 'autopack.db'])).toBe(expected);
  });

  it('normalises ./, //, and .. and refuses to climb above the root', () => {
    expect(normalizeRepoPath('./a//b/../c')).toBe('a/c');
    expect(normalizeRepoPath('a/../..')).toBeNull();
    expect(normalizeRepoPath('./')).toBe('');
  });
});
