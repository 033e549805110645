import fs from 'node:fs/promises';
import path from 'node:path';
import { AutopackError } from '../model/errors.js';
import { isGitNotStarted, runGit } from './runGit.js';

/** A git working tree that autopack's repoRoot lies in; every function of src/git takes one. */
export interface GitRepo {
  /** The working tree's top-level directory (git rev-parse --show-toplevel), real path. */
  top: string;
  /** autopack's repoRoot relative to `top`, with '/' separators; '' when they are the same. */
  prefix: string;
  /** The repoRoot the caller passed (absolute). */
  root: string;
}

/**
 * The git working tree around `repoRoot`, or null when there is none (not inside a repository, inside a
 * `.git` directory or a bare repository) or git is not installed. A repository git refuses to open (for
 * example "dubious ownership") is an error, not null: running as if there were no git would surprise the user.
 */
export async function openGitRepo(repoRoot: string): Promise<GitRepo | null> {
  const root = path.resolve(repoRoot);
  let real: string;
  try {
    real = await fs.realpath(root);
  } catch (error) {
    throw new AutopackError('INPUT_INVALID', `repoRoot ${root} cannot be opened: ${(error as Error).message}; pass an existing directory`, { cause: error });
  }
  let probe;
  try {
    // English messages, so "not a git repository" can be told from a repository git refuses to open.
    probe = await runGit(real, ['rev-parse', '--is-inside-work-tree'], { allowExitCodes: [128], env: { LC_ALL: 'C', LANGUAGE: 'C' } });
  } catch (error) {
    if (isGitNotStarted(error)) return null;
    throw error;
  }
  if (probe.exitCode === 128) {
    if (/not a git repository/i.test(probe.stderr)) return null;
    throw new AutopackError('GIT_FAILED', `git cannot open the repository around ${root}: ${probe.stderr.trim()}; fix it (see git's advice above) or run outside git`, {
      detail: probe.stderr,
    });
  }
  if (probe.stdout.trim() !== 'true') return null;
  const { stdout } = await runGit(real, ['rev-parse', '--show-toplevel', '--show-prefix']);
  const [topLine = '', prefixLine = ''] = stdout.replace(/\n$/, '').split('\n');
  const top = await fs.realpath(topLine);
  return { top, prefix: prefixLine.replace(/\/$/, ''), root };
}
