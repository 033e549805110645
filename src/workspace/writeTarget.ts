import fs from 'node:fs';
import path from 'node:path';
import { isAbsent, osErrorText } from '../model/osError.js';

/**
 * The write-time half of containment. `resolveInside` is lexical, and validation looked at the tree as it
 * was then; right before a file is written, replaced or deleted, the tree as it is now is checked again.
 */

const isOutside = (root: string, real: string): boolean => {
  const inside = path.relative(root, real);
  return inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside);
};

/**
 * Why `absolute`'s directory is not (or may not be) inside the repository, or null when it is: the real
 * path of the nearest existing directory above it (apply may create the rest) must lie inside `realRoot`,
 * the real path of the repository root.
 */
export function directoryProblem(realRoot: string, absolute: string): string | null {
  let dir = path.dirname(absolute);
  for (;;) {
    try {
      if (fs.lstatSync(dir, { throwIfNoEntry: false }) !== undefined) break;
    } catch (error) {
      if (!isAbsent(error)) return `cannot check its directory ${dir} (${osErrorText(error)})`;
    }
    const up = path.dirname(dir);
    if (up === dir) return `none of its directories exists`;
    dir = up;
  }
  let real: string;
  try {
    real = fs.realpathSync.native(dir);
  } catch (error) {
    return isAbsent(error) ? `its directory ${dir} is a broken symlink` : `cannot resolve its directory ${dir} (${osErrorText(error)})`;
  }
  if (isOutside(realRoot, real)) return `its directory ${dir} resolves to ${real}, outside the repository ${realRoot} (a symlink on the way leads out)`;
  return null;
}

/** Why `absolute` itself must not be written now, or null: a symlink there would be replaced (or written through). */
export function targetProblem(absolute: string): string | null {
  let stat: fs.Stats | undefined;
  try {
    // Absent is the common case (a new file): answered without building an error.
    stat = fs.lstatSync(absolute, { throwIfNoEntry: false });
  } catch (error) {
    return isAbsent(error) ? null : `cannot check it (${osErrorText(error)})`;
  }
  if (stat === undefined || !stat.isSymbolicLink()) return null;
  let to: string;
  try {
    to = fs.readlinkSync(absolute);
  } catch (error) {
    to = `unreadable: ${osErrorText(error)}`;
  }
  return `it is a symlink (to ${to})`;
}

/**
 * Both checks, directory first: null when `absolute` may be written right now, else what is wrong and why
 * that stops the write.
 */
export function writeProblem(realRoot: string, absolute: string): string | null {
  const problem = directoryProblem(realRoot, absolute) ?? targetProblem(absolute);
  return problem === null ? null : `${problem}, and autopack writes only regular files inside the repository`;
}
