import { diffArrays } from 'diff';

/** One line of a hunk, without its newline: kept (' '), added ('+') or removed ('-'). */
export interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
  /** The last line of its side, with no newline after it: rendered with `\ No newline at end of file`. */
  noNewlineAtEnd?: true;
}

/** A unified diff hunk, numbered as its `@@ -oldStart,oldLines +newStart,newLines @@` header is. */
export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

/** created: there was no file before; deleted: there is none after. */
export type FileStatus = 'created' | 'deleted' | 'modified';

export interface TextDiff {
  kind: 'text';
  path: string;
  status: FileStatus;
  /** None when both sides hold the same text. */
  hunks: DiffHunk[];
  /**
   * False when more than MAX_DIFF_EDIT_LINES lines changed: the shortest diff is not searched for, and
   * everything between the first and the last changed line is shown removed, then added.
   */
  minimal: boolean;
}

/** A side holds a NUL character: the file is not text, and only its sizes are shown. */
export interface BinaryDiff {
  kind: 'binary';
  path: string;
  status: FileStatus;
  oldBytes: number | null;
  newBytes: number | null;
}

/** A side is over MAX_DIFF_BYTES: only its sizes are shown. */
export interface TooLargeDiff {
  kind: 'too-large';
  path: string;
  status: FileStatus;
  oldBytes: number | null;
  newBytes: number | null;
}

/** A diff that cannot be computed, e.g. an applied file whose pre-image is no longer kept; `reason` says why. */
export interface UnavailableDiff {
  kind: 'unavailable';
  path: string;
  status: FileStatus;
  reason: string;
}

export type FileDiff = TextDiff | BinaryDiff | TooLargeDiff | UnavailableDiff;

export interface DiffOptions {
  /** Unchanged lines shown around each change; hunks closer than twice this are joined. Default 3. */
  context?: number;
}

/** Above this many bytes a side, a file is summarised by its sizes: its diff would be too long to read. */
export const MAX_DIFF_BYTES = 1024 * 1024;

/**
 * Above this many added plus removed lines, Myers' search (its cost grows with the square of the number
 * of changes: about half a second here, bench figure 9) stops, and everything between the first and the
 * last changed line is shown removed, then added: a correct diff, not the shortest.
 */
export const MAX_DIFF_EDIT_LINES = 1000;

/** A text's lines, each with its newline; the last has none when the text does not end with one. */
function linesOf(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  const last = lines.pop() as string;
  return last === '' ? lines.map((line) => `${line}\n`) : [...lines.map((line) => `${line}\n`), last];
}

type Op = { op: DiffLine['op']; line: string };

/**
 * The edit script from `a` to `b`, every line of both in order: the common head and tail are set aside
 * first, so a cut-short search still shows only the region between them as changed.
 */
function editScript(a: readonly string[], b: readonly string[]): { ops: Op[]; minimal: boolean } {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail += 1;
  const oldMiddle = a.slice(head, a.length - tail);
  const newMiddle = b.slice(head, b.length - tail);
  const kept = (lines: readonly string[]): Op[] => lines.map((line) => ({ op: ' ', line }));
  const replaced = [
    { value: oldMiddle, removed: true, added: false },
    { value: newMiddle, removed: false, added: true },
  ];
  const found = oldMiddle.length === 0 || newMiddle.length === 0 ? replaced : diffArrays(oldMiddle, newMiddle, { maxEditLength: MAX_DIFF_EDIT_LINES });
  const middle = (found ?? replaced).flatMap((change) => change.value.map((line): Op => ({ op: change.added ? '+' : change.removed ? '-' : ' ', line })));
  return { ops: [...kept(a.slice(0, head)), ...middle, ...kept(a.slice(a.length - tail))], minimal: found !== undefined };
}

const toLine = ({ op, line }: Op): DiffLine =>
  line.endsWith('\n') ? { op, text: line.slice(0, -1) } : { op, text: line, noNewlineAtEnd: true };

/** Groups an edit script into hunks: each change with `context` kept lines around it, near ones joined. */
function hunksOf(ops: readonly Op[], context: number): DiffHunk[] {
  const changed = ops.flatMap((op, index) => (op.op === ' ' ? [] : [index]));
  const hunks: DiffHunk[] = [];
  // Lines of each side before ops[index]; between hunks lie only kept lines, which count on both sides.
  let index = 0;
  let oldBefore = 0;
  let newBefore = 0;
  for (let first = 0; first < changed.length; ) {
    let last = first;
    while (last + 1 < changed.length && (changed[last + 1] as number) - (changed[last] as number) - 1 <= 2 * context) last += 1;
    const from = Math.max(0, (changed[first] as number) - context);
    const to = Math.min(ops.length, (changed[last] as number) + context + 1);
    oldBefore += from - index;
    newBefore += from - index;
    const slice = ops.slice(from, to);
    const oldLines = slice.filter((op) => op.op !== '+').length;
    const newLines = slice.filter((op) => op.op !== '-').length;
    // An empty side is numbered by the line before it, as diff and git do (`@@ -0,0 +1,3 @@` for a new file).
    hunks.push({ oldStart: oldLines === 0 ? oldBefore : oldBefore + 1, oldLines, newStart: newLines === 0 ? newBefore : newBefore + 1, newLines, lines: slice.map(toLine) });
    oldBefore += oldLines;
    newBefore += newLines;
    index = to;
    first = last + 1;
  }
  return hunks;
}

const byteLength = (text: string | null): number | null => (text === null ? null : Buffer.byteLength(text));

/**
 * The unified diff of one file from `before` to `after` (null: no file), in hunks with `context` lines
 * around each change, by Myers' algorithm (the `diff` package). A side over MAX_DIFF_BYTES, or holding a
 * NUL character, is summarised by its sizes instead.
 */
export function diffFile(path: string, before: string | null, after: string | null, { context = 3 }: DiffOptions = {}): TextDiff | BinaryDiff | TooLargeDiff {
  const status: FileStatus = after === null ? 'deleted' : before === null ? 'created' : 'modified';
  const oldBytes = byteLength(before);
  const newBytes = byteLength(after);
  if ((oldBytes ?? 0) > MAX_DIFF_BYTES || (newBytes ?? 0) > MAX_DIFF_BYTES) return { kind: 'too-large', path, status, oldBytes, newBytes };
  if (before?.includes('\0') === true || after?.includes('\0') === true) return { kind: 'binary', path, status, oldBytes, newBytes };
  const { ops, minimal } = editScript(linesOf(before ?? ''), linesOf(after ?? ''));
  return { kind: 'text', path, status, hunks: hunksOf(ops, Math.max(0, Math.floor(context))), minimal };
}
