import type { IndexedLines, LineShape } from './lines.js';

/** How a search matched, in the order the tiers are tried. */
export type MatchTier = 'exact' | 'trailing-whitespace' | 'indentation';

/**
 * The one leading-whitespace prefix by which every non-blank line of the file differs from the search:
 * `added` when the file's lines are indented more than the search's, removed when less.
 */
export interface IndentShift {
  readonly added: boolean;
  readonly prefix: string;
}

export interface Found {
  /** 0-based index of the first matched line of the file. */
  readonly start: number;
  readonly tier: MatchTier;
  /** Set for the indentation tier only: how to re-indent the replacement. */
  readonly shift: IndentShift | null;
}

/** How `file` is indented relative to `search` on one non-blank line, or null when neither indent ends the other. */
function shiftBetween(file: LineShape, search: LineShape): IndentShift | null {
  if (file.indent.endsWith(search.indent)) return { added: true, prefix: file.indent.slice(0, file.indent.length - search.indent.length) };
  if (search.indent.endsWith(file.indent)) return { added: false, prefix: search.indent.slice(0, search.indent.length - file.indent.length) };
  return null;
}

/**
 * The tier-(c) comparison: blank lines against blank lines, and every non-blank line with the same text
 * after one and the same indentation prefix is added or removed. A shift of nothing is tier (b)'s match.
 */
function uniformShift(file: IndexedLines, search: IndexedLines, start: number): IndentShift | null {
  let shift: IndentShift | null = null;
  for (const [k, wanted] of search.shapes.entries()) {
    const line = file.shapes[start + k] as LineShape;
    if (line.core !== wanted.core) return null;
    if (wanted.core === '') continue;
    const here = shiftBetween(line, wanted);
    if (here === null) return null;
    if (shift === null) shift = here;
    else if (here.prefix !== shift.prefix || (here.added !== shift.added && here.prefix !== '')) return null;
  }
  return shift === null || shift.prefix === '' ? null : shift;
}

/** The first tier at which the search equals the file's lines from `start`, or null. */
function tierAt(file: IndexedLines, search: IndexedLines, start: number): Found | null {
  let exact = true;
  for (const [k, wanted] of search.texts.entries()) {
    if (exact && file.texts[start + k] === wanted) continue;
    exact = false;
    if (file.shapes[start + k]?.trimmed !== search.shapes[k]?.trimmed) {
      const shift = uniformShift(file, search, start);
      return shift === null ? null : { start, tier: 'indentation', shift };
    }
  }
  return { start, tier: exact ? 'exact' : 'trailing-whitespace', shift: null };
}

const TIERS: readonly MatchTier[] = ['exact', 'trailing-whitespace', 'indentation'];

/**
 * Every place the search matches, at the first tier that finds any (so one exact match wins over several
 * that ignore whitespace). Each tier equates lines with the same core (the text between indentation and
 * trailing whitespace), so only the places where the search's rarest core occurs are compared: the work is
 * the file's size (indexing, done once per file) plus occurrences times the search's length.
 */
export function findMatches(file: IndexedLines, search: IndexedLines): Found[] {
  const count = search.texts.length;
  let anchor = -1;
  let positions: readonly number[] = [];
  for (const [k, shape] of search.shapes.entries()) {
    if (shape.core === '') continue;
    const here = file.byCore.get(shape.core) ?? [];
    if (anchor === -1 || here.length < positions.length) {
      anchor = k;
      positions = here;
    }
  }
  const found: Found[] = [];
  for (const position of positions) {
    const start = position - anchor;
    if (start < 0 || start + count > file.texts.length) continue;
    const match = tierAt(file, search, start);
    if (match !== null) found.push(match);
  }
  for (const tier of TIERS) {
    const atTier = found.filter((match) => match.tier === tier);
    if (atTier.length > 0) return atTier;
  }
  return [];
}

const BLANK = /^[ \t\r]*$/;

/**
 * The replacement given the file's own indentation: the prefix the file adds is added to each non-blank
 * line, or the prefix it lacks removed (from a line indented less than that, as much as it has).
 */
export function reindent(lines: readonly string[], shift: IndentShift): string[] {
  return lines.map((line) => {
    if (BLANK.test(line)) return line;
    if (shift.added) return shift.prefix + line;
    let common = 0;
    while (common < shift.prefix.length && line[common] === shift.prefix[common]) common += 1;
    return line.slice(common);
  });
}
