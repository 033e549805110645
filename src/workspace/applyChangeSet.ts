import fs from 'node:fs';
import path from 'node:path';
import type { AppliedChangeSet, AppliedFile } from '../machines/effectContracts.js';
import { AutopackError } from '../model/errors.js';
import { osErrorText } from '../model/osError.js';
import type { FileChange } from '../model/fileChange.js';
import { crashAfterAppliedFile } from '../runtime/crashPoint.js';
import { MANIFEST_FILE, type BackupManifestEntry } from './backupManifest.js';
import { writeFileFor, syncDirsFor, type WriteDurability } from './durableWrite.js';
import { contentAfter } from './contentAfter.js';
import { sha256 } from './hash.js';
import { recoverInterruptedApply } from './recoverApply.js';
import { repoKey, resolveInside } from './resolveInside.js';
import type { PreparedFile } from './preparedFile.js';
import { stagedPathFor } from './stagedPath.js';
import { writeProblem } from './writeTarget.js';

export interface ApplyChangeSetInput {
  repoRoot: string;
  changes: readonly FileChange[];
  backupDir: string;
  /** `normal` (the default) survives a process crash; `full` also a power cut: files and directories fsynced. */
  durability?: WriteDurability;
  /**
   * Told, once pre-images are safe, what each file goes from and to; awaited before the first file is
   * staged or replaced (the run logs it durably there).
   */
  onPrepared?: (files: PreparedFile[]) => void | Promise<void>;
  /**
   * What `onPrepared` was told when an earlier process began this same apply and died before it was done
   * (the run's log has it): the files it may have written. Absent when nothing was prepared, so nothing of
   * this apply can be in the tree. Needed to undo new files, which leave no backup folder.
   */
  preparedBefore?: readonly PreparedFile[];
}


interface Target {
  change: FileChange;
  relative: string;
  absolute: string;
  before: Buffer | null;
  /** Where `before` is saved, inside the backup directory. */
  backupFile: string | null;
  fileMode: number | null;
  staged: string | null;
  /** What the file holds afterwards (null: deleted); an edit's result is computed from `before`. */
  after: string | null;
}

function readIfExists(file: string): { content: Buffer; mode: number } | null {
  try {
    // A new file is the common case: its absence is answered without building an error.
    const stat = fs.lstatSync(file, { throwIfNoEntry: false });
    if (stat === undefined || !stat.isFile()) return null;
    return { content: fs.readFileSync(file), mode: stat.mode & 0o7777 };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}


/** Creates missing parents of `dir` one by one, returning the ones it made (repo-relative), deepest first. */
function ensureDir(repoRoot: string, dir: string): string[] {
  const missing: string[] = [];
  let current = dir;
  while (current !== repoRoot && current.startsWith(repoRoot + path.sep)) {
    try {
      fs.statSync(current);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      missing.push(current);
      current = path.dirname(current);
    }
  }
  for (const created of [...missing].reverse()) fs.mkdirSync(created);
  return missing.map((d) => path.relative(repoRoot, d).split(path.sep).join('/'));
}

function removeEmptyDirs(repoRoot: string, dirs: readonly string[]): void {
  for (const dir of dirs) {
    try {
      fs.rmdirSync(path.join(repoRoot, dir));
    } catch {
      // Not empty (something else lives there now) or already gone: leave it.
    }
  }
}

/**
 * Applies a validated change set all-or-nothing: the pre-images of files that exist saved, every new
 * content staged beside its target (fsynced at `full`), then renamed into place. On any error, whatever
 * was committed is put back and the error says the repository was left as it was.
 */
export async function applyChangeSet(input: ApplyChangeSetInput): Promise<AppliedChangeSet> {
  const repoRoot = path.resolve(input.repoRoot);
  const targets: Target[] = input.changes.map((change) => {
    const absolute = resolveInside(repoRoot, change.path);
    return { change, relative: repoKey(repoRoot, change.path), absolute, before: null, backupFile: null, fileMode: null, staged: null, after: null };
  });
  const createdDirs: string[] = [];
  const committed: Target[] = [];
  const durability = input.durability ?? 'normal';
  let current = '';

  await recoverInterruptedApply(repoRoot, input.backupDir, input.changes, input.preparedBefore);
  // Validation saw the tree as it was then: before anything is written, every target is checked as it is now.
  const realRoot = fs.realpathSync.native(repoRoot);
  for (const target of targets) {
    const problem = writeProblem(realRoot, target.absolute);
    if (problem !== null) {
      throw new AutopackError(
        'APPLY_FAILED',
        `refusing to write ${target.relative}: ${problem}; nothing was written. The tree changed after validation: check what changed it`,
        { retryable: true },
      );
    }
  }
  /** The same check again right before each write, for a tree that changes while the apply runs. */
  const recheck = (target: Target): void => {
    const problem = writeProblem(realRoot, target.absolute);
    if (problem !== null) throw new Error(problem);
  };
  let files: AppliedFile[] = [];
  let backedUp = false;
  try {
    const manifest: BackupManifestEntry[] = [];
    for (const [index, target] of targets.entries()) {
      current = target.relative;
      const existing = readIfExists(target.absolute);
      target.before = existing?.content ?? null;
      target.fileMode = existing?.mode ?? null;
      target.backupFile = existing === null ? null : String(index);
      // An edit's searches are matched against the file as it is now, before anything is written.
      target.after = contentAfter(target.change, target.before);
      manifest.push({
        path: target.relative,
        existedBefore: existing !== null,
        beforeSha256: existing === null ? null : sha256(existing.content),
        backupFile: target.backupFile,
        fileMode: target.fileMode,
      });
    }
    // Only files that exist have something to put back. When none does, there is no backup folder: the
    // log's `changes.prepared`, durable before anything is staged, is all a resumed run needs to undo them.
    if (targets.some((target) => target.before !== null)) {
      backedUp = true;
      fs.mkdirSync(input.backupDir, { recursive: true });
      for (const target of targets) {
        if (target.before !== null && target.backupFile !== null) writeFileFor(durability, path.join(input.backupDir, target.backupFile), target.before);
      }
      // The manifest appears whole or not at all: it is what a resumed run trusts to undo a half-done apply.
      const manifestTmp = path.join(input.backupDir, `${MANIFEST_FILE}.tmp`);
      writeFileFor(durability, manifestTmp, JSON.stringify(manifest, null, 2), 0o644, 'w');
      fs.renameSync(manifestTmp, path.join(input.backupDir, MANIFEST_FILE));
      syncDirsFor(durability, [input.backupDir]);
    }
    files = targets.map((target, index) => {
      const content = target.after;
      return {
        path: target.relative,
        mode: target.change.mode,
        existedBefore: target.before !== null,
        beforeSha256: manifest[index]?.beforeSha256 ?? null,
        afterSha256: content === null ? null : sha256(content),
        bytes: content === null ? 0 : Buffer.byteLength(content),
      };
    });
    await input.onPrepared?.(files.map(({ path: file, beforeSha256, afterSha256 }) => ({ path: file, beforeSha256, afterSha256 })));

    for (const target of targets) {
      current = target.relative;
      if (target.change.mode === 'delete') continue;
      const dir = path.dirname(target.absolute);
      recheck(target);
      const created = ensureDir(repoRoot, dir);
      // New directories are checked again; when none was needed, the check just made still holds.
      if (created.length > 0) {
        createdDirs.unshift(...created);
        recheck(target);
      }
      const staged = stagedPathFor(target.absolute);
      writeFileFor(durability, staged, target.after ?? '', target.fileMode ?? 0o644);
      target.staged = staged;
    }

    for (const target of targets) {
      current = target.relative;
      recheck(target);
      if (target.change.mode === 'delete') {
        if (target.before !== null) fs.unlinkSync(target.absolute);
      } else if (target.staged !== null) {
        fs.renameSync(target.staged, target.absolute);
        target.staged = null;
        if (target.fileMode !== null) fs.chmodSync(target.absolute, target.fileMode);
      }
      committed.push(target);
      crashAfterAppliedFile();
    }
    syncDirsFor(durability, targets.map((t) => path.dirname(t.absolute)));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const notUndone = undo(repoRoot, input.backupDir, targets, committed, createdDirs);
    if (notUndone.length > 0) {
      // The tree is neither as it was nor as the attempt writes it: another attempt must not start from it.
      const guide = backedUp
        ? `manifest.json in ${input.backupDir} lists the attempt's files and their pre-images`
        : 'none of the attempt\'s files existed before it';
      throw new AutopackError(
        'ROLLBACK_FAILED',
        `could not write ${current}: ${reason}; undoing the attempt then failed, so the repository is not as it was: ` +
          `${notUndone.join('; ')}. Put those files back by hand (${guide}), then start a new run`,
        { cause: error },
      );
    }
    throw new AutopackError('APPLY_FAILED', `could not write ${current}: ${reason}; the repository was left as it was`, {
      retryable: true,
      cause: error,
    });
  }

  return { backupDir: input.backupDir, files, createdDirs: sortDeepestFirst(createdDirs) };
}

function sortDeepestFirst(dirs: readonly string[]): string[] {
  return [...new Set(dirs)].sort((a, b) => b.split('/').length - a.split('/').length || b.localeCompare(a));
}

/**
 * Puts back whatever the failed apply wrote. A file that cannot be put back does not stop the others;
 * returns one line per such file, saying what is wrong with it and where its pre-image is.
 */
function undo(repoRoot: string, backupDir: string, targets: readonly Target[], committed: readonly Target[], createdDirs: readonly string[]): string[] {
  const notUndone: string[] = [];
  for (const target of targets) {
    if (target.staged === null) continue;
    try {
      fs.rmSync(target.staged, { force: true });
    } catch (error) {
      notUndone.push(`the staged copy ${path.relative(repoRoot, target.staged)} could not be removed (${osErrorText(error)}); delete it`);
    }
  }
  for (const target of [...committed].reverse()) {
    if (target.before === null) {
      try {
        fs.rmSync(target.absolute, { force: true });
      } catch (error) {
        notUndone.push(`${target.relative} could not be removed (${osErrorText(error)}); it did not exist before the attempt`);
      }
      continue;
    }
    const restore = stagedPathFor(target.absolute);
    try {
      writeFileFor('full', restore, target.before, target.fileMode ?? 0o644);
      fs.renameSync(restore, target.absolute);
    } catch (error) {
      let leftover = '';
      try {
        fs.rmSync(restore, { force: true });
      } catch {
        leftover = ` (and its partial copy ${path.relative(repoRoot, restore)} could not be removed)`;
      }
      notUndone.push(`${target.relative} could not be restored (${osErrorText(error)})${leftover}; its pre-image is ${target.backupFile === null ? 'missing' : path.join(backupDir, target.backupFile)}`);
    }
  }
  removeEmptyDirs(repoRoot, sortDeepestFirst(createdDirs));
  return notUndone;
}
