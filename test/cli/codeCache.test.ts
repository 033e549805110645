import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type CodeCache from '../../src/cli/codeCache.cjs';
import { useTempDirs } from '../support/tempDir.js';

// The module is CommonJS written with `import x = require()`, which vitest cannot transform: the tests load
// what tsc built (the global setup rebuilds dist/ when src/ is newer).
const { codeCacheDir, requireWithCodeCache } = createRequire(import.meta.url)('../../dist/cli/codeCache.cjs') as typeof CodeCache;

const tempDir = useTempDirs();

function scratch(): { file: string; dir: string } {
  const root = tempDir('autopack-code-cache-');
  fs.writeFileSync(path.join(root, 'sibling.cjs'), 'module.exports = 41;\n');
  const file = path.join(root, 'bundle.cjs');
  fs.writeFileSync(file, "const sibling = require('./sibling.cjs');\nexports.answer = () => sibling + 1;\nexports.file = __filename;\n");
  return { file, dir: path.join(root, 'cache') };
}

const caches = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith('.bin')).sort() : []);

/** The cache is written on a timer (0 ms here): wait for the folder to hold `count` of them. */
async function cachesOnceThere(dir: string, count: number): Promise<string[]> {
  for (let waited = 0; caches(dir).length < count && waited < 5000; waited += 10) await sleep(10);
  return caches(dir);
}

describe('requireWithCodeCache', () => {
  it('runs a CommonJS file as require would: its exports, its own require and __filename', () => {
    const { file } = scratch();
    const loaded = requireWithCodeCache(file, { kind: 'resume', dir: undefined }) as { answer: () => number; file: string };
    expect(loaded.answer()).toBe(42);
    expect(loaded.file).toBe(file);
  });

  it('writes a cache for its kind once, then starts from it without writing again', async () => {
    const { file, dir } = scratch();
    requireWithCodeCache(file, { kind: 'resume', dir, writeAfterMs: 0 });
    const [written] = await cachesOnceThere(dir, 1);
    expect(written).toMatch(/^bundle\.cjs-[0-9a-f]{8}-resume-v\d+\.\d+\.\d+-\w+-\d+-\d+\.bin$/);
    const before = fs.statSync(path.join(dir, written as string)).mtimeMs;
    requireWithCodeCache(file, { kind: 'resume', dir, writeAfterMs: 0 });
    await sleep(50);
    expect(caches(dir)).toEqual([written]);
    expect(fs.statSync(path.join(dir, written as string)).mtimeMs).toBe(before);
  });

  it("starts from a related kind's cache but still writes its own", async () => {
    const { file, dir } = scratch();
    requireWithCodeCache(file, { kind: 'run', dir, writeAfterMs: 0 });
    await cachesOnceThere(dir, 1);
    requireWithCodeCache(file, { kind: 'resume', related: ['run'], dir, writeAfterMs: 0 });
    expect((await cachesOnceThere(dir, 2)).map((name) => name.split('-')[2])).toEqual(['resume', 'run']);
  });

  it('names the cache by the build line of a bundle, not by its size and time', async () => {
    const { file, dir } = scratch();
    fs.appendFileSync(file, '//# autopack-build=0123456789abcdef\n');
    requireWithCodeCache(file, { kind: 'log', dir, writeAfterMs: 0 });
    expect((await cachesOnceThere(dir, 1))[0]).toMatch(/-log-v[\d.]+-\w+-0123456789abcdef\.bin$/);
  });

  it('replaces the cache of an older build of the same file and kind', async () => {
    const { file, dir } = scratch();
    requireWithCodeCache(file, { kind: 'status', dir, writeAfterMs: 0 });
    const [old] = await cachesOnceThere(dir, 1);
    fs.appendFileSync(file, 'exports.rebuilt = true;\n');
    const loaded = requireWithCodeCache(file, { kind: 'status', dir, writeAfterMs: 0 }) as { rebuilt?: boolean };
    expect(loaded.rebuilt).toBe(true);
    for (let waited = 0; caches(dir).includes(old as string) && waited < 5000; waited += 10) await sleep(10);
    expect(caches(dir)).toHaveLength(1);
    expect(caches(dir)).not.toContain(old);
  });
});

describe('codeCacheDir', () => {
  it("is the user's own cache folder, and off with NODE_DISABLE_COMPILE_CACHE", () => {
    expect(codeCacheDir({ XDG_CACHE_HOME: '/home/me/.cache-x' })).toBe(path.join('/home/me/.cache-x', 'autopack', 'code-cache'));
    expect(codeCacheDir({ XDG_CACHE_HOME: 'relative' })).toMatch(/\.cache[/\\]autopack[/\\]code-cache$/);
    expect(codeCacheDir({ NODE_DISABLE_COMPILE_CACHE: '1', XDG_CACHE_HOME: '/x' })).toBeUndefined();
  });
});
