import { execFile } from 'node:child_process';
import { AutopackError } from '../model/errors.js';

export interface RunGitOptions {
  /** Added to the inherited environment (e.g. GIT_INDEX_FILE for a temporary index). */
  env?: Readonly<Record<string, string>>;
  /** Written to git's stdin, which is otherwise closed at once. */
  input?: string;
  /** Exit codes that are answers rather than failures (e.g. 1 from `rev-parse --verify -q`). 0 always is. */
  allowExitCodes?: readonly number[];
}

export interface GitOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Variables that would make git look at another repository or index than the one at `cwd`: autopack may run
 * inside a git hook or under a caller that exported them, and always means the repository it was pointed at
 * and that repository's own index. A temporary index is passed explicitly through `options.env`.
 */
const LOCATION_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

/**
 * Before every command: paths unquoted (with `-z` output they are raw anyway), pathspecs literal (a file named
 * `*.ts` means that file), and no optional locks, so reading the status never rewrites the user's index.
 */
const GLOBAL_ARGS = ['-c', 'core.quotepath=off', '--literal-pathspecs', '--no-optional-locks'];

const MAX_BUFFER = 512 * 1024 * 1024;
const STDERR_IN_MESSAGE = 2_000;

function environment(extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of LOCATION_VARIABLES) delete env[name];
  return { ...env, ...extra };
}

export function describeGitCommand(args: readonly string[]): string {
  return `git ${args.map((a) => (/^[\w./:=@^~-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`;
}

/** True for the GIT_FAILED runGit raises when git could not be started at all (ENOENT: not installed, or cwd gone). */
export function isGitNotStarted(error: unknown): boolean {
  return error instanceof AutopackError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * Runs git with `execFile` (never a shell) in `cwd`. A non-zero exit not listed in `allowExitCodes`, or a
 * failure to start git at all, becomes GIT_FAILED naming the command, the directory and git's stderr.
 */
export function runGit(cwd: string, args: readonly string[], options: RunGitOptions = {}): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...GLOBAL_ARGS, ...args],
      { cwd, env: environment(options.env), maxBuffer: MAX_BUFFER, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr, exitCode: 0 });
          return;
        }
        const command = describeGitCommand(args);
        const exitCode = typeof error.code === 'number' ? error.code : null;
        if (exitCode === null) {
          // Not an exit status: git could not be started, or its output overflowed maxBuffer.
          const reason = typeof error.code === 'string' ? error.code : error.message;
          reject(
            new AutopackError('GIT_FAILED', `${command} could not run in ${cwd}: ${reason}; check that git is installed and on PATH and that the directory exists`, {
              cause: error,
              detail: error.message,
            }),
          );
          return;
        }
        if (options.allowExitCodes?.includes(exitCode)) {
          resolve({ stdout, stderr, exitCode });
          return;
        }
        // One line for the short form; the detail keeps git's output as it was.
        const said = (stderr.trim() || stdout.trim() || '(no output)').replace(/\s*\n\s*/g, ' ');
        const excerpt = said.length > STDERR_IN_MESSAGE ? `${said.slice(0, STDERR_IN_MESSAGE)}…` : said;
        reject(
          new AutopackError('GIT_FAILED', `${command} failed with exit code ${exitCode} in ${cwd}: ${excerpt}`, {
            detail: `${command}\ncwd: ${cwd}\nexit code: ${exitCode}\nstderr:\n${stderr}\nstdout:\n${stdout}`,
          }),
        );
      },
    );
    // Without input git must not wait on stdin (commit-tree without -m, --stdin modes would block).
    child.stdin?.on('error', () => {
      // git exited before reading everything (it failed): its exit status reports that.
    });
    child.stdin?.end(options.input ?? '');
  });
}
