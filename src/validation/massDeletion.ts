/** Files shorter than this may be rewritten freely: small files legitimately change wholesale. */
export const MASS_DELETION_MIN_LINES = 20;
/** A modify that keeps less than this share of the old non-blank lines removes "most of the file". */
export const MASS_DELETION_KEEP_RATIO = 0.5;

const nonBlankLines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');

export interface LinesKept {
  kept: number;
  total: number;
}

/** How many of the old file's non-blank lines survive in the new one (as a multiset, order ignored). */
export function linesKept(oldContent: string, newContent: string): LinesKept {
  const available = new Map<string, number>();
  for (const line of nonBlankLines(newContent)) available.set(line, (available.get(line) ?? 0) + 1);
  const old = nonBlankLines(oldContent);
  let kept = 0;
  for (const line of old) {
    const count = available.get(line) ?? 0;
    if (count > 0) {
      kept += 1;
      available.set(line, count - 1);
    }
  }
  return { kept, total: old.length };
}

export function isMassDeletion(oldContent: string, newContent: string): boolean {
  const { kept, total } = linesKept(oldContent, newContent);
  return total >= MASS_DELETION_MIN_LINES && kept < total * MASS_DELETION_KEEP_RATIO;
}
