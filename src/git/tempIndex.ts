import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GitRepo } from './gitRepo.js';
import { runGit } from './runGit.js';

/** Environment that points git at a temporary index instead of the user's. */
export type TempIndexEnv = Readonly<{ GIT_INDEX_FILE: string }>;

/**
 * Runs `use` with a temporary index (GIT_INDEX_FILE in a fresh temp directory) seeded with `base`'s tree
 * (`git read-tree`), or empty when `base` is null (an unborn branch). The user's index is never read or
 * written through it; the directory is removed afterwards, whatever happens.
 */
export async function withTempIndex<T>(repo: GitRepo, base: string | null, use: (env: TempIndexEnv) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autopack-index-'));
  try {
    const env = { GIT_INDEX_FILE: path.join(dir, 'index') };
    if (base !== null) await runGit(repo.top, ['read-tree', base], { env });
    return await use(env);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** One stage-0 entry of an index, as `git ls-files -s` prints it. */
export interface IndexEntry {
  mode: string;
  oid: string;
  /** Top-relative. */
  path: string;
}

/** The entries of the index `env` points at (the user's when undefined) whose path is exactly one of `topPaths`. */
export async function readIndexEntries(repo: GitRepo, topPaths: readonly string[], env?: TempIndexEnv): Promise<Map<string, IndexEntry>> {
  const entries = new Map<string, IndexEntry>();
  if (topPaths.length === 0) return entries;
  const wanted = new Set(topPaths);
  // A pathspec "a" also matches "a/b": keep exact matches only.
  const { stdout } = await runGit(repo.top, ['ls-files', '-s', '-z', '--', ...topPaths], env === undefined ? {} : { env });
  for (const record of stdout.split('\0')) {
    const match = /^(\d+) ([0-9a-f]+) (\d)\t([\s\S]*)$/.exec(record);
    if (match === null) continue;
    const [, mode = '', oid = '', stage = '', entryPath = ''] = match;
    if (stage === '0' && wanted.has(entryPath)) entries.set(entryPath, { mode, oid, path: entryPath });
  }
  return entries;
}
