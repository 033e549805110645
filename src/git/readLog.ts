import type { GitRepo } from './gitRepo.js';
import { headSha } from './headSha.js';
import { runGit } from './runGit.js';
import { parseTrailerLines } from './trailers.js';

export interface LoggedCommit {
  sha: string;
  trailers: Record<string, string>;
}

export interface ReadLogOptions {
  /** Exclusive lower bound: commits reachable from it are left out. */
  since?: string | null;
  maxCount?: number;
  /** Top-relative paths: only commits that touch one of them (every commit that does, `--full-history`). */
  topPaths?: readonly string[];
}

const RECORD = '\x1e';
const FIELD = '\x1f';

/** Commits reachable from HEAD, newest first, with their trailers; none on an unborn branch. */
export async function readLog(repo: GitRepo, options: ReadLogOptions = {}): Promise<LoggedCommit[]> {
  if ((await headSha(repo)) === null) return [];
  const args = ['log', `--format=${RECORD}%H${FIELD}%(trailers:only,unfold)`];
  if (options.maxCount !== undefined) args.push(`--max-count=${options.maxCount}`);
  if (options.topPaths !== undefined) args.push('--full-history');
  args.push('--end-of-options', 'HEAD');
  if (options.since !== undefined && options.since !== null) args.push(`^${options.since}`);
  if (options.topPaths !== undefined) args.push('--', ...options.topPaths);
  const { stdout } = await runGit(repo.top, args);
  const commits: LoggedCommit[] = [];
  for (const record of stdout.split(RECORD)) {
    const [sha = '', trailers = ''] = record.split(FIELD);
    if (sha.trim() !== '') commits.push({ sha: sha.trim(), trailers: parseTrailerLines(trailers) });
  }
  return commits;
}
