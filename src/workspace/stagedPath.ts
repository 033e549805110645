import { randomUUID } from 'node:crypto';
import path from 'node:path';

/**
 * Where content is staged before it is renamed over `target` (a new file, or a pre-image put back): beside
 * it, so the rename stays on one file system, hidden, and unique. Its name is 23 characters longer than
 * the target's, the same for every write, so a file that could be staged can always be put back.
 */
export function stagedPathFor(target: string): string {
  // The UUID's first 8 hex digits are random; node draws them from a cached pool, not a system call each.
  return path.join(path.dirname(target), `.${path.basename(target)}.autopack-${randomUUID().slice(0, 8)}.tmp`);
}

/**
 * Whether `name`, in the same directory, is a staged copy of the file `base` that a crash left behind.
 * Copies named `<base>.autopack-restore-<hex>.tmp`, as earlier versions wrote them, count too.
 */
export function isStagedCopyOf(name: string, base: string): boolean {
  return name.endsWith('.tmp') && (name.startsWith(`.${base}.autopack-`) || name.startsWith(`${base}.autopack-restore-`));
}
