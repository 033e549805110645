import type { IndexedLines, LineShape } from './lines.js';

/** The lines of the file most like a search that matched nowhere. */
export interface Closest {
  /** 0-based index of the window's first line. */
  readonly start: number;
  /** As many lines as the search has (or the whole file, when it is shorter). */
  readonly length: number;
  /** 0..1, a line-based similarity ratio: 1 when the lines differ only in whitespace. */
  readonly score: number;
}

/** A line found more often than this ("}", "end") says little about where the search was meant to be. */
const MAX_VOTING_OCCURRENCES = 64;
/** Windows scored in full, from the places the search's lines occur. */
const MAX_VOTED_WINDOWS = 24;
/** Windows scored in full, from the lines most like the search's first and last line. */
const MAX_ANCHORED_WINDOWS = 4;
/** A search line may be aligned with a window line up to this many lines above or below its own place. */
const BAND = 3;
/** Only the first lines of a long search are compared: enough to say where it is. */
const MAX_COMPARED_LINES = 200;
/** Only the first characters of a long line are compared. */
const MAX_COMPARED_CHARS = 300;

/** The pairs of adjacent UTF-16 code units in a line, each as one number (no string is made per pair). */
function bigrams(text: string): Set<number> {
  const end = Math.min(text.length, MAX_COMPARED_CHARS);
  const set = new Set<number>();
  for (let i = 0; i + 1 < end; i += 1) set.add(text.charCodeAt(i) * 0x10000 + text.charCodeAt(i + 1));
  return set;
}

/** The Dice coefficient of two sets of character pairs: 2 shared / (size + size). */
function dice(a: ReadonlySet<number>, b: ReadonlySet<number>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const pair of a) if (b.has(pair)) shared += 1;
  return (2 * shared) / (a.size + b.size);
}

/** How alike two lines are, 0..1: whitespace is ignored, as the matching tiers forgive most of it. */
function lineSimilarity(a: LineShape, b: LineShape, pairsOf: (core: string) => ReadonlySet<number>): number {
  if (a.core === b.core) return 1;
  if (a.core === '' || b.core === '') return 0;
  return dice(pairsOf(a.core), pairsOf(b.core));
}

/**
 * The difflib-style ratio of two runs of lines, 2 × matched / (length + length), where lines are matched in
 * order (a line missing from or added to the search shifts the rest by one) and each pair counts as much as
 * the two lines are alike. The alignment keeps within BAND lines of the diagonal, so scoring costs
 * lines × BAND comparisons.
 */
function windowScore(search: readonly LineShape[], window: readonly LineShape[], pairsOf: (core: string) => ReadonlySet<number>): number {
  let previous = new Float64Array(window.length + 1);
  let current = new Float64Array(window.length + 1);
  for (let i = 1; i <= search.length; i += 1) {
    current[0] = 0;
    for (let j = 1; j <= window.length; j += 1) {
      let best = Math.max(previous[j] ?? 0, current[j - 1] ?? 0);
      if (Math.abs(i - j) <= BAND) {
        best = Math.max(best, (previous[j - 1] ?? 0) + lineSimilarity(search[i - 1] as LineShape, window[j - 1] as LineShape, pairsOf));
      }
      current[j] = best;
    }
    [previous, current] = [current, previous];
  }
  return (2 * (previous[window.length] ?? 0)) / (search.length + window.length);
}

/** The `limit` keys with the highest values, ties to the smaller key. */
function topKeys(values: ReadonlyMap<number, number>, limit: number): number[] {
  return [...values.entries()]
    .sort(([startA, a], [startB, b]) => b - a || startA - startB)
    .slice(0, limit)
    .map(([start]) => start);
}

/**
 * Where to look: the windows in which most of the search's (not too common) lines occur as they are, and
 * the windows that start from the lines most like its first and last non-blank lines (for a search whose
 * every line has a typo). Costs occurrences plus two passes over the file.
 */
function candidateStarts(file: IndexedLines, search: IndexedLines, lastStart: number): Set<number> {
  const clamp = (start: number): number => Math.min(Math.max(start, 0), lastStart);
  const votes = new Map<number, number>();
  for (const [k, shape] of search.shapes.entries()) {
    const positions = file.byCore.get(shape.core) ?? [];
    if (positions.length > MAX_VOTING_OCCURRENCES) continue;
    for (const position of positions) votes.set(clamp(position - k), (votes.get(clamp(position - k)) ?? 0) + 1);
  }
  const starts = new Set(topKeys(votes, MAX_VOTED_WINDOWS));
  const nonBlank = [...search.shapes.keys()].filter((k) => search.shapes[k]?.core !== '');
  const anchors = [...new Set([nonBlank[0] ?? 0, nonBlank[nonBlank.length - 1] ?? 0])].map((k) => ({
    k,
    wanted: bigrams(search.shapes[k]?.core ?? ''),
    best: [] as { position: number; similarity: number }[],
  }));
  file.shapes.forEach((shape, position) => {
    if (shape.core === '') return;
    const pairs = bigrams(shape.core);
    for (const { wanted, best } of anchors) {
      const similarity = dice(wanted, pairs);
      // The few best so far, best first; the earlier line wins a tie.
      if (similarity === 0 || (best.length === MAX_ANCHORED_WINDOWS && similarity <= (best[best.length - 1]?.similarity ?? 0))) continue;
      const at = best.findIndex((other) => similarity > other.similarity);
      best.splice(at === -1 ? best.length : at, 0, { position, similarity });
      if (best.length > MAX_ANCHORED_WINDOWS) best.pop();
    }
  });
  for (const { k, best } of anchors) {
    for (const { position } of best) starts.add(clamp(position - k));
  }
  return starts;
}

/**
 * The window of the file, as many lines long as the search, that is most like it; null for an empty file.
 * The work is bounded: a few dozen candidate windows are scored, each on at most MAX_COMPARED_LINES lines.
 */
export function closestWindow(file: IndexedLines, search: IndexedLines): Closest | null {
  const fileLength = file.texts.length;
  if (fileLength === 0) return null;
  const length = Math.min(search.texts.length, fileLength);
  const lastStart = fileLength - length;
  const cache = new Map<string, ReadonlySet<number>>();
  const pairsOf = (core: string): ReadonlySet<number> => {
    let pairs = cache.get(core);
    if (pairs === undefined) cache.set(core, (pairs = bigrams(core)));
    return pairs;
  };
  const compared = search.shapes.slice(0, MAX_COMPARED_LINES);
  let best: Closest | null = null;
  for (const start of [...candidateStarts(file, search, lastStart)].sort((a, b) => a - b)) {
    const window = file.shapes.slice(start, start + Math.min(length, MAX_COMPARED_LINES));
    const score = windowScore(compared, window, pairsOf);
    if (best === null || score > best.score) best = { start, length, score };
  }
  return best ?? { start: 0, length, score: 0 };
}
