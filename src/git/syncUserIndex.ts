import type { GitRepo } from './gitRepo.js';
import { runGit } from './runGit.js';
import { readIndexEntries, type TempIndexEnv } from './tempIndex.js';

/**
 * Makes the user's real index hold, for `topPaths` only, exactly what the temporary index holds (the new
 * commit's entries): each path's entries (all stages, so a conflict is resolved to the commit) are dropped,
 * then the commit's entry is added when it has one. This is `git update-index --index-info`, not `git reset`:
 * every other path of the index, staged changes included, is left as it was. A path the user had staged
 * something else for ends up with the committed content; callers refuse to commit such paths beforehand.
 * Then `git add --refresh` records the files' stat data, so `git status` and plumbing such as `diff-files`
 * see them clean without rehashing. `oidLength` (40, or 64 in a SHA-256 repository) sizes the zero id that
 * marks a removal.
 */
export async function syncUserIndex(repo: GitRepo, tempEnv: TempIndexEnv, topPaths: readonly string[], oidLength: number): Promise<void> {
  if (topPaths.length === 0) return;
  const committed = await readIndexEntries(repo, topPaths, tempEnv);
  const records: string[] = [];
  for (const topPath of topPaths) {
    records.push(`0 ${'0'.repeat(oidLength)}\t${topPath}`);
    const entry = committed.get(topPath);
    if (entry !== undefined) records.push(`${entry.mode} ${entry.oid}\t${topPath}`);
  }
  await runGit(repo.top, ['update-index', '-z', '--add', '--replace', '--index-info'], { input: `${records.join('\0')}\0` });
  const present = topPaths.filter((p) => committed.has(p));
  if (present.length > 0) await runGit(repo.top, ['add', '--refresh', '--', ...present]);
}
