import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { staleBuildReason } from './buildFreshness.js';
import { writeTree } from './repoFixture.js';
import { useTempDirs } from './tempDir.js';

const tempDir = useTempDirs();
const INPUTS = ['src', 'tsconfig.json'];
const OUTPUT = 'dist/cli.js';

/** A source tree (directories included) an hour old, and its build ten minutes old: anything done now is newer. */
function builtTree(): string {
  const root = tempDir();
  writeTree(root, { 'src/cli.ts': 'cli', 'src/health/check.ts': 'check', 'src/health/gone.ts': 'gone', 'tsconfig.json': '{}', 'dist/cli.js': 'built' });
  const hourAgo = new Date(Date.now() - 3_600_000);
  for (const relative of ['src/cli.ts', 'src/health/check.ts', 'src/health/gone.ts', 'src/health', 'src', 'tsconfig.json']) {
    fs.utimesSync(path.join(root, relative), hourAgo, hourAgo);
  }
  const tenMinutesAgo = new Date(Date.now() - 600_000);
  fs.utimesSync(path.join(root, OUTPUT), tenMinutesAgo, tenMinutesAgo);
  return root;
}

function touch(file: string): void {
  const now = new Date();
  fs.utimesSync(file, now, now);
}

describe('staleBuildReason', () => {
  it('is fresh when the build is newer than every source', () => {
    expect(staleBuildReason(builtTree(), INPUTS, OUTPUT)).toBeUndefined();
  });

  it('is stale when the build is missing', () => {
    const root = builtTree();
    fs.rmSync(path.join(root, OUTPUT));
    expect(staleBuildReason(root, INPUTS, OUTPUT)).toBe('dist/cli.js is missing');
  });

  it('names a nested source newer than the build', () => {
    const root = builtTree();
    touch(path.join(root, 'src/health/check.ts'));
    expect(staleBuildReason(root, INPUTS, OUTPUT)).toBe('src/health/check.ts is newer than dist/cli.js');
  });

  it('is stale when a source was deleted since the build', () => {
    const root = builtTree();
    fs.rmSync(path.join(root, 'src/health/gone.ts'));
    expect(staleBuildReason(root, INPUTS, OUTPUT)).toBe('src/health is newer than dist/cli.js');
  });

  it('is stale when a build config is newer than the build', () => {
    const root = builtTree();
    touch(path.join(root, 'tsconfig.json'));
    expect(staleBuildReason(root, INPUTS, OUTPUT)).toBe('tsconfig.json is newer than dist/cli.js');
  });
});
