import fs from 'node:fs';
import path from 'node:path';
import { applyEdits } from '../edits/applyEdits.js';
import { ChangeModeSchema, type ChangeMode, type SearchReplace } from '../model/fileChange.js';
import { isAbsent, osErrorText } from '../model/osError.js';
import type { ValidationResult } from '../model/results.js';
import { pathTextProblem } from './changePath.js';
import { isMassDeletion, linesKept } from './massDeletion.js';
import { findElisionPlaceholder } from './placeholders.js';
import { matchingProtectedPath, normalizeRepoPath } from './protectedPaths.js';

export interface ValidateChangesOptions {
  repoRoot: string;
  protectedPaths: readonly string[];
  allowMassDeletion?: boolean;
  /**
   * The user's files with uncommitted changes (repo-relative): a change to one is refused, so autopack
   * never overwrites work that exists nowhere else.
   */
  uncommittedPaths?: ReadonlySet<string>;
}

interface CheckedChange {
  label: string;
  mode: ChangeMode;
  normalized: string;
  content: unknown;
}

const MODES = ChangeModeSchema.options.join(', ');

/** The entry itself (a final symlink not followed), or null when nothing is there; any other error is thrown. */
function lstatIfPresent(file: string): fs.Stats | null {
  try {
    // Absent is the common case (a new file): answered without building an error.
    return fs.lstatSync(file, { throwIfNoEntry: false }) ?? null;
  } catch (error) {
    if (isAbsent(error)) return null;
    throw error;
  }
}

/** An error other than absence: the file may well exist, so nothing about it can be assumed. */
const cannotRead = (label: string, what: string, error: unknown): string =>
  `${label}: cannot read ${what} (${osErrorText(error)}); autopack does not write a file it cannot check: ` +
  'fix it on disk, or leave it out of the change';

/**
 * The file named is itself a symlink (inside the repository): writing it would replace the link with a
 * regular file, and a rollback would then delete it. The model is sent to the file the link points to.
 */
function lastSymlinkError(label: string, link: string, inside: string, real: string): string {
  const shown = inside === '' ? 'the repository root' : inside;
  return fs.statSync(real, { throwIfNoEntry: false })?.isDirectory() === true
    ? `${label}: ${link} is a symlink (to the directory ${shown}); name a file inside ${shown}`
    : `${label}: ${link} is a symlink (to ${shown}); change ${shown} itself`;
}

/**
 * Walks the path from the repository root, one segment at a time: a symlink on the way must not lead
 * outside the repository or into a protected path, and the last segment, the file written, must not be a
 * symlink at all. Symlinked directories that stay inside the repository are fine.
 */
function symlinkErrors(label: string, repoRoot: string, normalized: string, protectedPaths: readonly string[]): string[] {
  const segments = normalized.split('/');
  for (let i = 1; i <= segments.length; i += 1) {
    const prefix = segments.slice(0, i).join('/');
    let stat: fs.Stats | null;
    try {
      stat = lstatIfPresent(path.join(repoRoot, prefix));
    } catch (error) {
      return [cannotRead(label, i === segments.length ? 'it' : prefix, error)];
    }
    if (stat === null) return [];
    if (!stat.isSymbolicLink()) continue;
    let real: string;
    try {
      real = fs.realpathSync.native(path.join(repoRoot, prefix));
    } catch (error) {
      if (isAbsent(error)) return [`${label}: ${prefix} is a broken symlink; write the file somewhere else`];
      return [`${label}: cannot resolve the symlink ${prefix} (${osErrorText(error)}); write the file somewhere else`];
    }
    // Resolved only here: most paths cross no symlink, and this is one more system call per change.
    const inside = path.relative(fs.realpathSync.native(repoRoot), real);
    if (inside.startsWith('..') || path.isAbsolute(inside)) {
      return [`${label}: ${prefix} is a symlink to ${real}, outside the repository`];
    }
    const rest = segments.slice(i).join('/');
    const resolved = [inside.split(path.sep).join('/'), rest].filter((s) => s !== '').join('/');
    const match = matchingProtectedPath(resolved, protectedPaths);
    if (match !== null) return [`${label}: ${prefix} is a symlink into the protected path ${match}`];
    if (i === segments.length) return [lastSymlinkError(label, prefix, inside.split(path.sep).join('/'), real)];
  }
  return [];
}

/**
 * An edit change: the file must exist, and every search/replace edit must apply to it as it is now
 * (each search matching one place), all of them, before anything is written. The result obeys the same
 * rules as a whole file: no elision placeholder, no mass deletion unless the phase allows it.
 */
function editErrors(label: string, target: string, stat: fs.Stats | null, change: Record<string, unknown>, options: ValidateChangesOptions): string[] {
  const { edits, new_content: content } = change;
  if (!Array.isArray(edits) || edits.length === 0) {
    return [`${label}: mode "edit" needs edits: a non-empty list of {"search", "replace"}`];
  }
  const malformed = edits.findIndex((e) => typeof e !== 'object' || e === null || typeof (e as Record<string, unknown>)['search'] !== 'string' || typeof (e as Record<string, unknown>)['replace'] !== 'string');
  if (malformed >= 0) return [`${label}: edits[${malformed}] must be {"search": string, "replace": string}`];
  if (typeof content === 'string') return [`${label}: send either edits or new_content, not both (mode "edit" uses edits)`];
  if (stat === null) return [`${label}: cannot edit a file that does not exist; send the whole file with mode "create"`];
  if (!stat.isFile()) return [`${label}: only a regular file can be edited`];
  let old: string;
  try {
    old = fs.readFileSync(target, 'utf8');
  } catch (error) {
    return [cannotRead(label, 'it', error)];
  }
  const checked = edits as SearchReplace[];
  const edited = applyEdits(old, checked, label);
  if (!edited.ok) return edited.errors;
  const errors: string[] = [];
  checked.forEach((edit, i) => {
    const placeholder = findElisionPlaceholder(edit.replace);
    if (placeholder !== null) errors.push(`${label}: edits[${i}].replace contains an elision placeholder (${JSON.stringify(placeholder)}); write out the replacement lines`);
  });
  if (options.allowMassDeletion !== true && isMassDeletion(old, edited.content)) {
    const { kept, total } = linesKept(old, edited.content);
    errors.push(
      `${label}: these edits keep only ${kept} of the file's ${total} non-blank lines; ` +
        'set allow_mass_deletion: true on the phase if removing most of it is intended',
    );
  }
  return errors;
}

function checkOne(index: number, change: unknown, options: ValidateChangesOptions): { errors: string[]; checked: CheckedChange | null } {
  if (typeof change !== 'object' || change === null || Array.isArray(change)) {
    return { errors: [`files[${index}]: expected an object with path, mode and new_content (or edits)`], checked: null };
  }
  const { path: rawPath, mode, new_content: content } = change as Record<string, unknown>;
  if (typeof rawPath !== 'string') {
    return { errors: [`files[${index}].path: expected a string, got ${rawPath === undefined ? 'nothing' : typeof rawPath}`], checked: null };
  }
  const label = `files[${index}] ${JSON.stringify(rawPath)}`;
  const errors: string[] = [];
  const parsedMode = ChangeModeSchema.safeParse(mode);
  if (!parsedMode.success) errors.push(`${label}: unknown mode ${JSON.stringify(mode)}; use one of ${MODES}`);

  const textProblem = pathTextProblem(rawPath);
  if (textProblem !== null) return { errors: [...errors, `${label}: ${textProblem}`], checked: null };
  const normalized = normalizeRepoPath(rawPath) as string;

  const match = matchingProtectedPath(normalized, options.protectedPaths);
  if (match !== null) return { errors: [...errors, `${label}: the path is protected (${match}); leave it unchanged`], checked: null };
  if (options.uncommittedPaths?.has(normalized) === true) {
    return { errors: [...errors, `${label}: the user has uncommitted changes in this file, which must not be overwritten; leave it unchanged`], checked: null };
  }
  const linkErrors = symlinkErrors(label, options.repoRoot, normalized, options.protectedPaths);
  if (linkErrors.length > 0) return { errors: [...errors, ...linkErrors], checked: null };
  if (!parsedMode.success) return { errors, checked: null };

  const target = path.join(options.repoRoot, normalized);
  let stat: fs.Stats | null;
  try {
    stat = lstatIfPresent(target);
  } catch (error) {
    return { errors: [...errors, cannotRead(label, 'it', error)], checked: null };
  }
  if (stat?.isDirectory()) return { errors: [`${label}: the path is a directory; name a file inside it`], checked: null };

  const modeNow = parsedMode.data;
  const edits = (change as Record<string, unknown>)['edits'];
  if (modeNow === 'edit') return { errors: [...errors, ...editErrors(label, target, stat, change as Record<string, unknown>, options)], checked: { label, mode: modeNow, normalized, content } };
  if (Array.isArray(edits) && edits.length > 0) {
    errors.push(`${label}: has edits but mode ${JSON.stringify(modeNow)}; use mode "edit" to change a file with search/replace edits`);
  }
  if (modeNow !== 'delete' && typeof content !== 'string') {
    errors.push(`${label}: ${modeNow} needs new_content with the file's complete text (a string)`);
  }
  // `create` of an existing file is accepted as a whole-file overwrite: models often say create when they
  // rewrite a file, and refusing would cost a retry for no safety gain (the pre-image is kept either way).
  if ((modeNow === 'modify' || modeNow === 'delete') && stat === null) {
    errors.push(`${label}: cannot ${modeNow} a file that does not exist${modeNow === 'modify' ? '; use "create" for a new file' : ''}`);
  }
  if (typeof content === 'string' && modeNow !== 'delete') {
    const placeholder = findElisionPlaceholder(content);
    if (placeholder !== null) {
      errors.push(`${label}: contains an elision placeholder (${JSON.stringify(placeholder)}); send the complete file`);
    }
    if (modeNow === 'modify' && stat?.isFile() && options.allowMassDeletion !== true) {
      let old: string;
      try {
        old = fs.readFileSync(target, 'utf8');
      } catch (error) {
        return { errors: [...errors, cannotRead(label, 'it', error)], checked: null };
      }
      if (isMassDeletion(old, content)) {
        const { kept, total } = linesKept(old, content);
        errors.push(
          `${label}: this modify keeps only ${kept} of the file's ${total} non-blank lines; send the whole file, ` +
            'or set allow_mass_deletion: true on the phase if removing most of it is intended',
        );
      }
    }
  }
  return { errors, checked: { label, mode: modeNow, normalized, content } };
}

/**
 * The safety boundary: nothing invalid reaches the disk. Returns one clear error per problem, naming the
 * change by index and path, and never throws.
 */
export function validateChanges(changes: readonly unknown[], options: ValidateChangesOptions): ValidationResult {
  const errors: string[] = [];
  if (!Array.isArray(changes)) return [false, ['files: expected a list of changes']];
  const firstIndexOf = new Map<string, number>();
  changes.forEach((change, index) => {
    try {
      const result = checkOne(index, change, options);
      errors.push(...result.errors);
      if (result.checked === null) return;
      const first = firstIndexOf.get(result.checked.normalized);
      if (first !== undefined) {
        errors.push(`${result.checked.label}: the same file as files[${first}]; send one change per file`);
      } else {
        firstIndexOf.set(result.checked.normalized, index);
      }
    } catch (error) {
      errors.push(`files[${index}]: could not be checked: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return [errors.length === 0, errors];
}
