import path from 'node:path';

/** autopack's own state and the repository's history: never changed by a phase. */
export const DEFAULT_PROTECTED_PATHS: readonly string[] = ['.autonomous_runs/', '.git/', 'autopack.db'];

/**
 * POSIX-normalises a repo-relative path: `./` and empty segments dropped, `..` resolved. Returns null
 * when the path climbs above the root, and '' for the root itself.
 */
export function normalizeRepoPath(relative: string): string | null {
  const out: string[] = [];
  for (const segment of relative.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(segment);
  }
  return out.join('/');
}

/**
 * Whether a path is protected. Both sides are normalised and compared on path-segment boundaries, so
 * `.git/` protects `.git/config` and `src/../.git/HEAD` but not `.github/workflows/ci.yml`. Case is
 * ignored: on a case-insensitive file system `.GIT/config` is the same file.
 */
export function matchingProtectedPath(relative: string, protectedPaths: readonly string[]): string | null {
  const candidate = normalizeRepoPath(relative)?.toLowerCase();
  if (candidate === undefined || candidate === '') return null;
  for (const entry of protectedPaths) {
    const normalized = normalizeRepoPath(entry)?.toLowerCase();
    if (normalized === undefined || normalized === '') continue;
    if (candidate === normalized || candidate.startsWith(`${normalized}/`)) return entry;
  }
  return null;
}

export function isProtected(relative: string, protectedPaths: readonly string[]): boolean {
  return matchingProtectedPath(relative, protectedPaths) !== null;
}

/** The defaults, plus the event-log database and its SQLite side files when they live inside the repository. */
export function defaultProtectedPaths(repoRoot: string, dbPath?: string): string[] {
  const paths = [...DEFAULT_PROTECTED_PATHS];
  if (dbPath !== undefined) {
    const relative = path.relative(path.resolve(repoRoot), path.resolve(repoRoot, dbPath));
    if (relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)) {
      const posix = relative.split(path.sep).join('/');
      paths.push(posix, `${posix}-wal`, `${posix}-shm`, `${posix}-journal`);
    }
  }
  return [...new Set(paths)];
}
