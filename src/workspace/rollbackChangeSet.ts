import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AppliedChangeSet, AppliedFile } from '../machines/effectContracts.js';
import { AutopackError } from '../model/errors.js';
import { MANIFEST_FILE, type BackupManifestEntry } from './backupManifest.js';
import { syncDirsFor, type WriteDurability } from './durableWrite.js';
import { sha256 } from './hash.js';
import { resolveInside } from './resolveInside.js';
import { stagedPathFor } from './stagedPath.js';
import { writeProblem } from './writeTarget.js';

export interface RollbackChangeSetInput {
  repoRoot: string;
  applied: AppliedChangeSet;
  /** `normal` (the default) survives a process crash; `full` also a power cut (each restored file fsynced). */
  durability?: WriteDurability;
}

async function readManifest(backupDir: string): Promise<BackupManifestEntry[]> {
  try {
    return JSON.parse(await fs.readFile(path.join(backupDir, MANIFEST_FILE), 'utf8')) as BackupManifestEntry[];
  } catch (error) {
    throw new AutopackError('ROLLBACK_FAILED', `cannot read the pre-image manifest in ${backupDir}: ${(error as Error).message}`);
  }
}

/** What rollback needs of a file none of whose pre-image was saved: it did not exist, so it is removed. */
function newFileEntry(file: AppliedFile): BackupManifestEntry {
  return { path: file.path, existedBefore: false, beforeSha256: null, backupFile: null, fileMode: null };
}

/**
 * Puts every file of an applied change set back as it was: pre-images restored (hash-checked), created
 * files deleted, directories the apply created removed when empty. Idempotent, so a resumed run may
 * repeat it safely. An apply none of whose files existed kept no backup folder: its files are removed.
 */
export async function rollbackChangeSet(input: RollbackChangeSetInput): Promise<{ restored: string[] }> {
  const { backupDir, files, createdDirs } = input.applied;
  const durability = input.durability ?? 'normal';
  if (files.every((file) => !file.existedBefore)) {
    return restoreEntries({ repoRoot: input.repoRoot, backupDir: null, entries: files.map(newFileEntry), createdDirs, durability });
  }
  return restoreEntries({ repoRoot: input.repoRoot, backupDir, entries: await readManifest(backupDir), createdDirs, durability });
}

/**
 * Puts each entry's file back to its pre-image (or removes it), then the created directories that are
 * empty. `backupDir` is null when no file had a pre-image, so none was kept.
 */
export async function restoreEntries(input: {
  repoRoot: string;
  backupDir: string | null;
  entries: readonly BackupManifestEntry[];
  createdDirs: readonly string[];
  durability: WriteDurability;
}): Promise<{ restored: string[] }> {
  const repoRoot = path.resolve(input.repoRoot);
  const manifest = input.entries;
  const realRoot = fsSync.realpathSync.native(repoRoot);
  const refuse = (entry: BackupManifestEntry, problem: string, restoredSoFar: readonly string[]): AutopackError =>
    new AutopackError(
      'ROLLBACK_FAILED',
      `cannot restore ${entry.path}: ${problem}; ${restoredSoFar.length === 0 ? 'nothing was restored' : `restored so far: ${restoredSoFar.join(', ')}`}. ` +
        (input.backupDir === null
          ? 'None of the attempt\'s files existed before it: remove what it left by hand, then start a new run'
          : `Its pre-image is in ${input.backupDir} (manifest.json lists the attempt's files): put it back by hand, then start a new run`),
    );
  // Nothing is restored unless every file can be: the tree as it is now is checked first, then again right before each write.
  for (const entry of manifest) {
    const problem = writeProblem(realRoot, resolveInside(repoRoot, entry.path));
    if (problem !== null) throw refuse(entry, problem, []);
  }
  const restored: string[] = [];
  for (const entry of manifest) {
    const target = resolveInside(repoRoot, entry.path);
    const problem = writeProblem(realRoot, target);
    if (problem !== null) throw refuse(entry, problem, restored);
    if (!entry.existedBefore || entry.backupFile === null) {
      await fs.rm(target, { force: true });
      restored.push(entry.path);
      continue;
    }
    if (input.backupDir === null) throw refuse(entry, 'its pre-image was not kept', restored);
    const backupPath = path.join(input.backupDir, entry.backupFile);
    let content: Buffer;
    try {
      content = await fs.readFile(backupPath);
    } catch {
      throw new AutopackError('ROLLBACK_FAILED', `cannot restore ${entry.path}: its pre-image ${backupPath} is missing`);
    }
    if (sha256(content) !== entry.beforeSha256) {
      throw new AutopackError('ROLLBACK_FAILED', `cannot restore ${entry.path}: its pre-image ${backupPath} does not match the recorded hash`);
    }
    const staged = stagedPathFor(target);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const handle = await fs.open(staged, 'wx', entry.fileMode ?? 0o644);
    try {
      await handle.writeFile(content);
      if (input.durability === 'full') await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(staged, target);
    if (entry.fileMode !== null) await fs.chmod(target, entry.fileMode);
    syncDirsFor(input.durability, [path.dirname(target)]);
    restored.push(entry.path);
  }
  for (const dir of input.createdDirs) {
    try {
      await fs.rmdir(resolveInside(repoRoot, dir));
    } catch {
      // Not empty or already gone.
    }
  }
  return { restored };
}
