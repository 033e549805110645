import fs from 'node:fs';
import path from 'node:path';
import type { AppliedFile } from '../machines/effectContracts.js';
import type { FileChange } from '../model/fileChange.js';
import type { StoredRunEvent } from '../store/index.js';
import { contentAfter, sha256 } from '../workspace/index.js';
import { diffFile, type DiffOptions, type FileDiff, type FileStatus } from './fileDiff.js';

export type AppliedEvent = Extract<StoredRunEvent, { type: 'changes.applied' }>;

/** One file of an apply, with how it was changed (`mode`, as the model proposed it) and its diff. */
export type AppliedFileDiff = FileDiff & { mode: FileChange['mode'] };

/** What the file held before the apply: null when it did not exist, a reason when that is no longer known. */
function preImage(backupDir: string, index: number, file: AppliedFile): { content: string | null } | { missing: string } {
  if (!file.existedBefore) return { content: null };
  const backup = path.join(backupDir, String(index));
  let saved: Buffer;
  try {
    saved = fs.readFileSync(backup);
  } catch {
    return { missing: `its pre-image is no longer in ${backup} (the attempt's backup folder was removed, or is on another machine)` };
  }
  if (sha256(saved) !== file.beforeSha256) return { missing: `${backup} no longer holds its pre-image (its sha256 is not the one logged)` };
  return { content: saved.toString('utf8') };
}

/** What the apply left in the file, recomputed from the proposal as the apply computed it. */
function postImage(change: FileChange | undefined, file: AppliedFile, before: string | null): { content: string | null } | { missing: string } {
  if (file.mode === 'delete') return { content: null };
  if (change === undefined) return { missing: 'the proposal it came from is not in the log' };
  let after: string | null;
  try {
    after = contentAfter(change, before);
  } catch (error) {
    return { missing: `its edits do not apply to the saved pre-image: ${(error as Error).message}` };
  }
  if (after === null || sha256(after) !== file.afterSha256) return { missing: 'the logged proposal does not reproduce what was written (its sha256 is not the one logged)' };
  return { content: after };
}

/**
 * The diff of each file a `changes.applied` event wrote. Before is the pre-image the apply saved in the
 * attempt's backup folder; after is what the attempt's proposal (its `response.parsed`, earlier in
 * `events`) leaves in the file, edits applied to the pre-image. Both are checked against the hashes the
 * log keeps, so a diff is shown only when it is the one applied; otherwise the file's diff is
 * `unavailable`, with the reason.
 */
export function appliedDiffs(events: readonly StoredRunEvent[], applied: AppliedEvent, options: DiffOptions = {}): AppliedFileDiff[] {
  if (!applied.data.outcome.ok) return [];
  const { backupDir, files } = applied.data.outcome.value;
  const parsed = events.findLast(
    (e) => e.seq < applied.seq && e.type === 'response.parsed' && e.actor === applied.actor && e.data.attempt === applied.data.attempt,
  );
  // The apply wrote the proposal's changes in order: file i of the apply is change i of the proposal.
  const proposal = parsed?.type === 'response.parsed' && parsed.data.outcome.ok ? parsed.data.outcome.value.files : [];
  return files.map((file, index) => {
    const status: FileStatus = file.mode === 'delete' ? 'deleted' : file.existedBefore ? 'modified' : 'created';
    const unavailable = (reason: string): AppliedFileDiff => ({ kind: 'unavailable', path: file.path, status, reason, mode: file.mode });
    const before = preImage(backupDir, index, file);
    if ('missing' in before) return unavailable(before.missing);
    const after = postImage(proposal[index], file, before.content);
    if ('missing' in after) return unavailable(after.missing);
    return { ...diffFile(file.path, before.content, after.content, options), mode: file.mode };
  });
}
