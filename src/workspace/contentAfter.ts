import { applyEdits } from '../edits/applyEdits.js';
import { AutopackError } from '../model/errors.js';
import type { FileChange } from '../model/fileChange.js';

/**
 * What a change leaves in its file, given what the file holds before it (null: absent): the new content
 * of a whole-file change, the result of an edit change's search/replace edits, or null for a delete. The
 * apply, the recovery of an interrupted apply and a takeover's roll-forward all compute it here, so they
 * agree on what an edit writes.
 */
export function contentAfter(change: FileChange, before: Buffer | string | null): string | null {
  if (change.mode === 'delete') return null;
  if (change.mode !== 'edit') return change.new_content ?? '';
  if (before === null) {
    throw new AutopackError('APPLY_FAILED', `${change.path}: cannot edit a file that does not exist; send the whole file with mode "create"`, { retryable: true });
  }
  const text = typeof before === 'string' ? before : before.toString('utf8');
  const edited = applyEdits(text, change.edits ?? [], JSON.stringify(change.path));
  if (!edited.ok) {
    throw new AutopackError('APPLY_FAILED', `${change.path}: its edits no longer apply to the file as it is now: ${edited.errors.join('; ')}`, {
      retryable: true,
      errors: edited.errors,
    });
  }
  return edited.content;
}
