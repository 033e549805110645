import fs from 'node:fs/promises';
import path from 'node:path';
import type { GitRepo } from './gitRepo.js';
import { headSha } from './headSha.js';
import { afterCommit, recordCommit } from './recordCommit.js';
import { checkRelativePath, toTopPath } from './repoPaths.js';
import { runGit } from './runGit.js';
import { syncUserIndex } from './syncUserIndex.js';
import { readIndexEntries, withTempIndex, type TempIndexEnv } from './tempIndex.js';

export interface RestoreRequest {
  /** repoRoot-relative paths, each with the commit whose version of it to bring back. */
  files: readonly { path: string; from: string }[];
  message: string;
  trailers: Readonly<Record<string, string>>;
  /** The commit HEAD must still be at; null for an unborn branch. Omit to use the current HEAD. */
  expectedHead?: string | null;
}

/** For each top-relative path, `from`'s entry (`mode oid`) when it holds a file, symlink or submodule there; absent otherwise. */
async function entriesAt(repo: GitRepo, from: string, topPaths: readonly string[]): Promise<Map<string, string>> {
  const wanted = new Set(topPaths);
  const { stdout } = await runGit(repo.top, ['ls-tree', '-z', '--full-tree', from, '--', ...topPaths]);
  const entries = new Map<string, string>();
  for (const record of stdout.split('\0')) {
    const match = /^(\d+) (\w+) ([0-9a-f]+)\t([\s\S]*)$/.exec(record);
    if (match === null) continue;
    const [, mode = '', type = '', oid = '', entryPath = ''] = match;
    // A directory of that name at `from` means no file there: the file is deleted.
    if (type !== 'tree' && wanted.has(entryPath)) entries.set(entryPath, `${mode} ${oid}`);
  }
  return entries;
}

/** Removes `topPath` from the working tree when a file or symlink is there, then any parents it left empty (up to the top). */
async function removeFromWorkingTree(repo: GitRepo, topPath: string): Promise<void> {
  const absolute = path.join(repo.top, topPath);
  try {
    if ((await fs.lstat(absolute)).isDirectory()) return;
    await fs.unlink(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (let dir = path.dirname(absolute); dir.startsWith(`${repo.top}${path.sep}`); dir = path.dirname(dir)) {
    try {
      await fs.rmdir(dir);
    } catch {
      return; // Not empty (or not ours to remove): stop.
    }
  }
}

/** Writes the working tree files for `topPaths` from the temporary index: deletions first, then checkout-index. */
async function writeWorkingTree(repo: GitRepo, env: TempIndexEnv, topPaths: readonly string[]): Promise<void> {
  const entries = await readIndexEntries(repo, topPaths, env);
  for (const topPath of topPaths) if (!entries.has(topPath)) await removeFromWorkingTree(repo, topPath);
  const written = topPaths.filter((p) => entries.has(p));
  if (written.length > 0) await runGit(repo.top, ['checkout-index', '-f', '-z', '--stdin'], { env, input: `${written.join('\0')}\0` });
}

/**
 * For undo: one new commit on HEAD in which each given path is as it was at its `from` commit (content and
 * mode, or deleted when no file was there), built in a temporary index like commitFiles (no hooks run, HEAD
 * moved by compare-and-swap). Then, for the changed paths only, the working tree files and the user's index
 * entries are made to match the new commit; every other staged or unstaged change is left as it was.
 * Whatever the working tree held for those paths is overwritten: callers check they are clean first.
 * Returns the new sha, or null, changing nothing, when every path is already as it was at `from`.
 */
export async function commitRestoring(repo: GitRepo, request: RestoreRequest): Promise<{ sha: string } | null> {
  const byPath = new Map<string, string>();
  for (const file of request.files) byPath.set(toTopPath(repo, checkRelativePath(file.path, 'commitRestoring: files')), file.from);
  const byCommit = new Map<string, string[]>();
  for (const [topPath, from] of byPath) {
    const commit = (await runGit(repo.top, ['rev-parse', '--verify', '--end-of-options', `${from}^{commit}`])).stdout.trim();
    byCommit.set(commit, [...(byCommit.get(commit) ?? []), topPath]);
  }
  const parent = request.expectedHead === undefined ? await headSha(repo) : request.expectedHead;

  return withTempIndex(repo, parent, async (env) => {
    const records: string[] = [];
    for (const [from, topPaths] of byCommit) {
      const entries = await entriesAt(repo, from, topPaths);
      for (const topPath of topPaths) {
        const entry = entries.get(topPath);
        records.push(entry === undefined ? `0 ${'0'.repeat(from.length)}\t${topPath}` : `${entry}\t${topPath}`);
      }
    }
    if (records.length > 0) await runGit(repo.top, ['update-index', '-z', '--add', '--replace', '--index-info'], { env, input: `${records.join('\0')}\0` });
    const recorded = await recordCommit(repo, { env, parent, allowed: new Set(byPath.keys()), message: request.message, trailers: request.trailers });
    if (recorded === null) return null;
    await afterCommit(recorded.sha, recorded.changed, 'git restore --source=HEAD --staged --worktree', async () => {
      await writeWorkingTree(repo, env, recorded.changed);
      await syncUserIndex(repo, env, recorded.changed, recorded.sha.length);
    });
    return { sha: recorded.sha };
  });
}
