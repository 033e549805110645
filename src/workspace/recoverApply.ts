import { existsSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileChange } from '../model/fileChange.js';
import { AutopackError } from '../model/errors.js';
import { MANIFEST_FILE, type BackupManifestEntry } from './backupManifest.js';
import { sha256 } from './hash.js';
import { repoKey, resolveInside } from './resolveInside.js';
import { rollbackChangeSet } from './rollbackChangeSet.js';
import { isStagedCopyOf } from './stagedPath.js';
import { directoryProblem } from './writeTarget.js';


async function currentHash(file: string): Promise<string | null> {
  try {
    return sha256(await fs.readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Staged copies (`.name.autopack-xxxx.tmp`) an interrupted apply or rollback left beside their targets. */
async function removeStagedLeftovers(repoRoot: string, paths: readonly string[]): Promise<void> {
  const realRoot = realpathSync(repoRoot);
  for (const relative of paths) {
    const target = resolveInside(repoRoot, relative);
    // A directory that now leads out of the repository is left alone; the rollback that follows reports it.
    if (directoryProblem(realRoot, target) !== null) continue;
    let names: string[];
    try {
      names = await fs.readdir(path.dirname(target));
    } catch {
      continue;
    }
    for (const name of names) {
      if (isStagedCopyOf(name, path.basename(target))) await fs.rm(path.join(path.dirname(target), name), { force: true });
    }
  }
}

/**
 * Before an attempt's change set is applied: if an earlier process began applying this same attempt and
 * died (its pre-image manifest is there, its `changes.applied` is not in the log), put every file back to
 * its pre-image so the apply starts from the tree it was planned against. A file that is neither its
 * pre-image nor the content this attempt writes was changed by something else, and is not overwritten.
 */
export async function recoverInterruptedApply(repoRoot: string, backupDir: string, changes: readonly FileChange[]): Promise<boolean> {
  // Synchronous: this runs before every apply, and is almost always a single failed stat.
  if (!existsSync(backupDir)) return false;
  const manifestPath = path.join(backupDir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    // Died while saving pre-images: nothing was renamed into the tree yet.
    await fs.rm(backupDir, { recursive: true, force: true });
    return true;
  }
  const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as BackupManifestEntry[];
  const intended = new Map(changes.map((c) => [repoKey(repoRoot, c.path), c]));
  for (const entry of manifest) {
    const now = await currentHash(resolveInside(repoRoot, entry.path));
    const change = intended.get(entry.path);
    const after = change === undefined || change.mode === 'delete' ? null : sha256(change.new_content ?? '');
    if (now !== entry.beforeSha256 && now !== after) {
      throw new AutopackError(
        'ROLLBACK_FAILED',
        `${entry.path} changed while the run was down (it is neither as it was before this attempt nor as the attempt writes it); ` +
          `autopack will not overwrite it. Its pre-image is in ${backupDir}; decide which to keep, then start a new run`,
      );
    }
  }
  await removeStagedLeftovers(repoRoot, manifest.map((e) => e.path));
  await rollbackChangeSet({ repoRoot, applied: { backupDir, files: [], createdDirs: [] } });
  await fs.rm(backupDir, { recursive: true, force: true });
  return true;
}
