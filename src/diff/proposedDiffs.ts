import fs from 'node:fs';
import path from 'node:path';
import type { FileChange } from '../model/fileChange.js';
import { contentAfter } from '../workspace/contentAfter.js';
import { diffFile, type DiffOptions, type FileDiff, type FileStatus } from './fileDiff.js';

/** The file as it is now, or null when there is none. */
function current(repoRoot: string, relative: string): string | null {
  try {
    return fs.readFileSync(path.join(repoRoot, relative), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * What each proposed change would do to the file as it is now, as a diff: what a person approves. Nothing
 * is written. A file that cannot be read (or an edit that no longer applies to it) gets an `unavailable`
 * diff saying why, so the request still lists every file the change touches.
 */
export function proposedDiffs(repoRoot: string, changes: readonly FileChange[], options: DiffOptions = {}): FileDiff[] {
  return changes.map((change) => {
    let before: string | null = null;
    try {
      before = current(repoRoot, change.path);
      return diffFile(change.path, before, contentAfter(change, before), options);
    } catch (error) {
      const status: FileStatus = change.mode === 'delete' ? 'deleted' : before === null ? 'created' : 'modified';
      return { kind: 'unavailable', path: change.path, status, reason: (error as Error).message };
    }
  });
}
