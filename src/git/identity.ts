import type { GitRepo } from './gitRepo.js';
import { runGit } from './runGit.js';

/** Who autopack's commits are by when the repository has no identity configured. */
export const FALLBACK_IDENTITY = { name: 'autopack', email: 'autopack@localhost' } as const;

type Role = 'author' | 'committer';

/**
 * Environment for `git commit-tree` so it never fails for a missing identity. A role (author, committer)
 * whose name and email are both configured, the way git looks them up (GIT_AUTHOR_NAME…, then author.name,
 * then user.name; EMAIL last for the address), is left to git; otherwise both are set to autopack's, rather
 * than git guessing an address from the user and host names.
 */
export async function identityEnv(repo: GitRepo): Promise<Record<string, string>> {
  const { stdout } = await runGit(repo.top, ['config', '-z', '--get-regexp', '^(user|author|committer)\\.(name|email)$'], { allowExitCodes: [1] });
  const config = new Map<string, string>();
  for (const entry of stdout.split('\0')) {
    const newline = entry.indexOf('\n');
    if (newline > 0) config.set(entry.slice(0, newline).toLowerCase(), entry.slice(newline + 1));
  }
  const pick = (...values: (string | undefined)[]): string | undefined => values.find((v) => v !== undefined && v.trim() !== '');
  const env: Record<string, string> = {};
  for (const role of ['author', 'committer'] as const satisfies readonly Role[]) {
    const upper = role.toUpperCase();
    const name = pick(process.env[`GIT_${upper}_NAME`], config.get(`${role}.name`), config.get('user.name'));
    const email = pick(process.env[`GIT_${upper}_EMAIL`], config.get(`${role}.email`), config.get('user.email'), process.env.EMAIL);
    if (name === undefined || email === undefined) {
      env[`GIT_${upper}_NAME`] = FALLBACK_IDENTITY.name;
      env[`GIT_${upper}_EMAIL`] = FALLBACK_IDENTITY.email;
    }
  }
  return env;
}
