import path from 'node:path';
import { AutopackError } from '../model/errors.js';

/**
 * The absolute path of a repo-relative path, refusing anything outside the repository. Validation has
 * already checked this; this is the last line of defence right before the disk is touched.
 */
export function resolveInside(repoRoot: string, relative: string): string {
  const root = path.resolve(repoRoot);
  const absolute = path.resolve(root, relative);
  if (absolute === root || !absolute.startsWith(root + path.sep)) {
    throw new AutopackError('APPLY_FAILED', `refusing to write ${JSON.stringify(relative)}: it is not a file inside ${root}`);
  }
  return absolute;
}

/**
 * The repo-relative POSIX spelling of a path (`./src/a.ts` → `src/a.ts`): the key apply writes into the
 * pre-image manifest and recovery looks changes up by, so both always agree.
 */
export function repoKey(repoRoot: string, relative: string): string {
  return path.relative(path.resolve(repoRoot), resolveInside(repoRoot, relative)).split(path.sep).join('/');
}
