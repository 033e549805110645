import type { Closest } from './closest.js';
import type { IndexedLines } from './lines.js';
import type { Found, MatchTier } from './match.js';

/** Below this similarity the closest lines are not worth quoting: they would mislead more than help. */
export const MIN_QUOTED_SIMILARITY = 0.5;
/** Places listed for a search that matches several. */
const MAX_LISTED_PLACES = 10;
/** Lines quoted from the file for a search that matches nowhere. */
const MAX_QUOTED_LINES = 40;

/** "a", "a and b", "a, b and c". */
export function listed(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

/** 1-based line numbers of a run: "7", or "7-9". */
export function lineRange(start: number, length: number): string {
  return length <= 1 ? `${start + 1}` : `${start + 1}-${start + length}`;
}

const TIER_NOTE: Record<MatchTier, string> = {
  exact: '',
  'trailing-whitespace': ' ignoring trailing whitespace',
  indentation: ' ignoring indentation',
};

export function emptySearchError(where: string): string {
  return (
    `${where}: the search is empty or only whitespace, so it says nothing about where to edit; copy the lines to ` +
    'replace from the file into search (to write a whole file, use mode "modify" with new_content)'
  );
}

export function ambiguousError(where: string, found: readonly Found[], length: number): string {
  const places = found.slice(0, MAX_LISTED_PLACES).map((match) => lineRange(match.start, length));
  if (found.length > MAX_LISTED_PLACES) places.push(`${found.length - MAX_LISTED_PLACES} more`);
  return (
    `${where}: the search matches ${found.length} places${TIER_NOTE[found[0]?.tier ?? 'exact']} (lines ${listed(places)}); ` +
    'include more surrounding lines so that it matches one'
  );
}

/** The lines one edit's search matched: `start` is 0-based. */
export interface Region {
  readonly index: number;
  readonly start: number;
  readonly length: number;
}

export function overlapError(label: string, first: Region, second: Region): string {
  return (
    `edits[${first.index}] and edits[${second.index}] of ${label}: their searches overlap (lines ${lineRange(first.start, first.length)} ` +
    `and ${lineRange(second.start, second.length)}); every search is matched against the file as it was before any edit, ` +
    'so merge the two into one edit'
  );
}

/** Lines quoted verbatim between fences longer than any backtick run that starts one of them. */
function quoted(lines: readonly string[]): string {
  const shown = lines.slice(0, MAX_QUOTED_LINES);
  const longestRun = Math.max(2, ...shown.map((line) => /^\s*(`*)/.exec(line)?.[1]?.length ?? 0));
  const fence = '`'.repeat(longestRun + 1);
  const more = lines.length > shown.length ? `\n(and ${lines.length - shown.length} more lines)` : '';
  return `${fence}\n${shown.join('\n')}\n${fence}${more}`;
}

export interface NotFound {
  readonly where: string;
  readonly file: IndexedLines;
  readonly search: IndexedLines;
  readonly closest: Closest | null;
  /** Another edit whose replacement contains the search: the model applied the edits one after another. */
  readonly inReplacementOf: number | null;
}

/** What differs between the search and the closest lines, said as precisely as can be. */
function difference({ file, search, closest }: NotFound & { closest: Closest }): string {
  const window = file.shapes.slice(closest.start, closest.start + closest.length);
  if (search.shapes.length === window.length && search.shapes.every((shape, k) => shape.core === window[k]?.core)) {
    return (
      " (they have the search's text, but their indentation differs from it, and not by one prefix added to or removed from " +
      "every line: copy each line's indentation from here, tabs and spaces as they are)"
    );
  }
  const k = search.shapes.findIndex((shape, i) => shape.core !== window[i]?.core);
  if (k === -1 || k >= window.length) return ` (the search has ${search.shapes.length - window.length} more lines than the file)`;
  return (
    ` (line ${closest.start + k + 1} of the file is ${JSON.stringify(file.texts[closest.start + k])}, ` +
    `where the search has ${JSON.stringify(search.texts[k])})`
  );
}

export function notFoundError(notFound: NotFound): string {
  const { where, file, closest, inReplacementOf } = notFound;
  const head = `${where}: the search was not found in the file, even ignoring trailing whitespace and indentation`;
  const order =
    inReplacementOf === null
      ? ''
      : `; it is in the replacement of edits[${inReplacementOf}], but every search is matched against the file as it ` +
        'was before any edit: search for the original lines, or merge the two edits';
  if (closest === null) return `${head}${order}; the file is empty (to write it, use mode "modify" with new_content)`;
  if (closest.score < MIN_QUOTED_SIMILARITY) {
    return `${head}${order}; no part of the file resembles it: check that this is the file you mean, and copy the search from its current content`;
  }
  const which = closest.length === 1 ? 'line of the file is line' : 'lines of the file are lines';
  return (
    `${head}${order}. The most similar ${which} ${lineRange(closest.start, closest.length)}${difference({ ...notFound, closest })}:\n` +
    `${quoted(file.texts.slice(closest.start, closest.start + closest.length))}\n` +
    'Copy the search from the file as it is now: whole lines, each exactly as written there.'
  );
}
