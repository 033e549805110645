import type { GitRepo } from './gitRepo.js';
import { runGit } from './runGit.js';

/** Whether the local branch `branch` (refs/heads/<branch>) exists. */
export async function branchExists(repo: GitRepo, branch: string): Promise<boolean> {
  const { exitCode } = await runGit(repo.top, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { allowExitCodes: [1] });
  return exitCode === 0;
}
