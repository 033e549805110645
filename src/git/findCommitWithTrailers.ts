import type { GitRepo } from './gitRepo.js';
import { readLog } from './readLog.js';
import { hasTrailers } from './trailers.js';

export const DEFAULT_TRAILER_SEARCH_DEPTH = 200;

/**
 * The newest commit reachable from HEAD whose trailers include all of `trailers` (same keys, same values), or
 * null. Searches at most `maxCount` commits (default 200) and stops at `since` (exclusive) when given. Used so
 * a commit made just before a crash is found, not made twice.
 */
export async function findCommitWithTrailers(
  repo: GitRepo,
  trailers: Readonly<Record<string, string>>,
  options: { since?: string | null; maxCount?: number } = {},
): Promise<string | null> {
  const commits = await readLog(repo, { since: options.since ?? null, maxCount: options.maxCount ?? DEFAULT_TRAILER_SEARCH_DEPTH });
  return commits.find((c) => hasTrailers(c.trailers, trailers))?.sha ?? null;
}
