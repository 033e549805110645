import type { GitRepo } from './gitRepo.js';
import { runGit } from './runGit.js';

/** HEAD's commit sha, or null on an unborn branch (a repository with no commit yet). */
export async function headSha(repo: GitRepo): Promise<string | null> {
  const { stdout, exitCode } = await runGit(repo.top, ['rev-parse', '--verify', '-q', 'HEAD^{commit}'], { allowExitCodes: [1] });
  return exitCode === 0 ? stdout.trim() : null;
}
