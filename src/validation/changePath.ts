import { normalizeRepoPath } from './protectedPaths.js';

/**
 * What is wrong with a change's path as written, before the disk is consulted, or null when it is a
 * usable repo-relative path. Says what to send instead.
 */
export function pathTextProblem(raw: string): string | null {
  if (raw.trim() === '') return "empty path; give the file's path relative to the repository root";
  if (raw.includes('\0')) return 'the path contains a NUL byte';
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw) || raw.startsWith('\\\\')) {
    return 'absolute path; use a path relative to the repository root';
  }
  if (raw.includes('\\')) return 'the path contains a backslash; use forward slashes (src/app.ts)';
  const normalized = normalizeRepoPath(raw);
  if (normalized === null) return 'path leaves the repository; use a path relative to the repository root';
  if (normalized === '') return 'the path names the repository root itself, not a file';
  return null;
}

/**
 * The one spelling of a change's path that every step after parsing sees (validation, apply, the
 * pre-image manifest, recovery, rollback, the log): `./src/../lib/x.ts` becomes `lib/x.ts`. A path with
 * a problem is returned as written, so validation reports it in the model's own words.
 */
export function canonicalChangePath(raw: string): string {
  return pathTextProblem(raw) === null ? (normalizeRepoPath(raw) ?? raw) : raw;
}
