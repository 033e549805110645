import type { SearchReplace } from '../model/fileChange.js';
import { closestWindow } from './closest.js';
import { ambiguousError, emptySearchError, notFoundError, overlapError } from './feedback.js';
import { indexLines, shapeOf, splitFile, splitText, type FileLines, type IndexedLines, type TextLines } from './lines.js';
import { findMatches, reindent, type Found, type MatchTier } from './match.js';

/** Where one edit matched the original file. */
export interface EditMatch {
  /** The edit's index in the change's `edits`. */
  index: number;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  how: MatchTier;
}

export type EditsOutcome = { ok: true; content: string; matches: EditMatch[] } | { ok: false; errors: string[] };

/** An edit that matched one place. */
interface Placed {
  readonly index: number;
  readonly found: Found;
  readonly length: number;
  readonly search: TextLines;
  readonly replace: TextLines;
}

/** The other edit whose replacement holds the search's lines (whitespace aside), if any. */
function inReplacementOf(edits: readonly SearchReplace[], index: number, search: IndexedLines): number | null {
  const wanted = search.shapes.map((shape) => shape.core).join('\n');
  for (const [other, edit] of edits.entries()) {
    if (other === index) continue;
    const cores = splitText(edit.replace).lines.map((line) => shapeOf(line).core);
    for (let start = 0; start + search.shapes.length <= cores.length; start += 1) {
      if (cores.slice(start, start + search.shapes.length).join('\n') === wanted) return other;
    }
  }
  return null;
}

/** One error for each pair of matched edits that share a line: which replacement should win there is anyone's guess. */
function overlapErrors(label: string, placed: readonly Placed[]): string[] {
  const regions = placed.map(({ index, found, length }) => ({ index, start: found.start, length }));
  return regions.flatMap((first, i) =>
    regions
      .slice(i + 1)
      .filter((second) => first.start < second.start + second.length && second.start < first.start + first.length)
      .map((second) => overlapError(label, first, second)),
  );
}

/**
 * Whether the new file ends with a newline. An edit of the last line changes that only when its search and
 * replace disagree about ending with one (models mostly leave the final newline off both, which must not
 * strip the file's); deleting the last lines leaves it as it was.
 */
function endsWithNewline(file: FileLines, placed: readonly Placed[]): boolean {
  const last = placed.find((edit) => edit.found.start + edit.length === file.texts.length);
  if (last === undefined || last.replace.lines.length === 0 || last.search.finalNewline === last.replace.finalNewline) return file.finalNewline;
  return last.replace.finalNewline;
}

/** The file with each placed edit's lines replaced; untouched lines keep their bytes, new lines get the file's ending. */
function splice(file: FileLines, placed: readonly Placed[]): string {
  const texts: string[] = [];
  const ends: string[] = [];
  // A loop, not push(...slice): spreading a long file's lines would overflow the call's arguments.
  const keep = (from: number, to: number): void => {
    for (let i = from; i < to; i += 1) {
      texts.push(file.texts[i] ?? '');
      ends.push(file.ends[i] ?? '');
    }
  };
  let next = 0;
  for (const edit of [...placed].sort((a, b) => a.found.start - b.found.start)) {
    keep(next, edit.found.start);
    const lines = edit.found.shift === null ? edit.replace.lines : reindent(edit.replace.lines, edit.found.shift);
    texts.push(...lines);
    ends.push(...lines.map(() => file.eol));
    next = edit.found.start + edit.length;
  }
  keep(next, file.texts.length);
  if (texts.length === 0) return '';
  const last = ends.length - 1;
  ends[last] = endsWithNewline(file, placed) ? ends[last] || file.eol : '';
  return texts.map((text, i) => text + (ends[i] ?? '')).join('');
}

/**
 * Applies search/replace edits to a file's content, all or nothing. Every search is matched against the
 * original content, as whole lines: exactly, else ignoring trailing whitespace, else ignoring a uniform
 * difference in indentation (the replacement then takes the file's indentation). A search must match
 * exactly one place, and no two edits may overlap. On failure, one error per failing edit (and per
 * overlapping pair), each naming the edit (`edits[1] of ${label}`) and saying what to send instead.
 * Pure: the caller writes the content, or nothing.
 */
export function applyEdits(content: string, edits: readonly SearchReplace[], label: string): EditsOutcome {
  if (edits.length === 0) {
    return { ok: false, errors: [`${label}: mode "edit" needs at least one edit in edits (a search and its replace)`] };
  }
  const file = splitFile(content);
  const indexed = indexLines(file.texts);
  const errors: string[] = [];
  const placed: Placed[] = [];
  for (const [index, edit] of edits.entries()) {
    const where = `edits[${index}] of ${label}`;
    const search = splitText(edit.search);
    const searchLines = indexLines(search.lines);
    if (searchLines.shapes.every((shape) => shape.core === '')) {
      errors.push(emptySearchError(where));
      continue;
    }
    const found = findMatches(indexed, searchLines);
    const [only] = found;
    if (found.length === 1 && only !== undefined) {
      placed.push({ index, found: only, length: search.lines.length, search, replace: splitText(edit.replace) });
    } else if (found.length > 1) {
      errors.push(ambiguousError(where, found, search.lines.length));
    } else {
      errors.push(
        notFoundError({
          where,
          file: indexed,
          search: searchLines,
          closest: closestWindow(indexed, searchLines),
          inReplacementOf: inReplacementOf(edits, index, searchLines),
        }),
      );
    }
  }
  errors.push(...overlapErrors(label, placed));
  if (errors.length > 0) return { ok: false, errors };
  const matches = placed.map(({ index, found, length }) => ({ index, startLine: found.start + 1, endLine: found.start + length, how: found.tier }));
  return { ok: true, content: splice(file, placed), matches };
}
