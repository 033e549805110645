import { existsSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileChange } from '../model/fileChange.js';
import { AutopackError } from '../model/errors.js';
import { MANIFEST_FILE, type BackupManifestEntry } from './backupManifest.js';
import { contentAfter } from './contentAfter.js';
import { sha256 } from './hash.js';
import type { PreparedFile } from './preparedFile.js';
import { repoKey, resolveInside } from './resolveInside.js';
import { restoreEntries } from './rollbackChangeSet.js';
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
 * died (its `changes.prepared` is in the log, its `changes.applied` is not), put every file back to its
 * pre-image so the apply starts from the tree it was planned against. Files that existed have their
 * pre-images in `backupDir`, under a manifest; when none did, there is no folder, and `prepared` (what the
 * log holds of the dead process's apply) says which files to remove. A file that is neither its pre-image
 * nor the content this attempt writes was changed by something else, and is not overwritten.
 */
export async function recoverInterruptedApply(
  repoRoot: string,
  backupDir: string,
  changes: readonly FileChange[],
  prepared?: readonly PreparedFile[],
): Promise<boolean> {
  // Synchronous: this runs before every apply, and is almost always a single failed stat.
  if (!existsSync(backupDir)) return prepared === undefined ? false : removeNewFiles(repoRoot, backupDir, prepared);
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
    const after = change === undefined ? null : await hashAfter(change, backupDir, entry);
    if (now !== entry.beforeSha256 && now !== after) throw changedMeanwhile(entry.path, `Its pre-image is in ${backupDir}`);
  }
  await removeStagedLeftovers(repoRoot, manifest.map((e) => e.path));
  await restoreEntries({ repoRoot, backupDir, entries: manifest, createdDirs: [], durability: 'normal' });
  await fs.rm(backupDir, { recursive: true, force: true });
  return true;
}

/** The hash of what this attempt writes to the entry's file: an edit's result comes from its pre-image. */
async function hashAfter(change: FileChange, backupDir: string, entry: BackupManifestEntry): Promise<string | null> {
  const before = change.mode === 'edit' && entry.backupFile !== null ? await fs.readFile(path.join(backupDir, entry.backupFile)) : null;
  try {
    const content = contentAfter(change, before);
    return content === null ? null : sha256(content);
  } catch {
    return null; // the edits never applied to this pre-image, so the file cannot hold their result
  }
}

function changedMeanwhile(file: string, preImage: string): AutopackError {
  return new AutopackError(
    'ROLLBACK_FAILED',
    `${file} changed while the run was down (it is neither as it was before this attempt nor as the attempt writes it); ` +
      `autopack will not overwrite it. ${preImage}; decide which to keep, then start a new run`,
  );
}

/**
 * The dead process logged its files and kept no backup folder: none of them existed, so each is either
 * still absent or holds this attempt's content, and is removed. A file that had a pre-image can only be
 * here if a recovery already put it back and removed the folder: it must be its pre-image again.
 */
async function removeNewFiles(repoRoot: string, backupDir: string, prepared: readonly PreparedFile[]): Promise<boolean> {
  const written: string[] = [];
  for (const file of prepared) {
    const now = await currentHash(resolveInside(repoRoot, file.path));
    if (now === file.beforeSha256) continue;
    if (file.beforeSha256 !== null || now !== file.afterSha256) {
      throw changedMeanwhile(file.path, file.beforeSha256 === null ? 'It did not exist before' : `Its pre-image was expected in ${backupDir}, which is gone`);
    }
    written.push(file.path);
  }
  await removeStagedLeftovers(repoRoot, prepared.map((file) => file.path));
  await restoreEntries({
    repoRoot,
    backupDir: null,
    entries: written.map((file) => ({ path: file, existedBefore: false, beforeSha256: null, backupFile: null, fileMode: null })),
    createdDirs: [],
    durability: 'normal',
  });
  return true;
}
