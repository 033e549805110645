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
