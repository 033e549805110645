import type { EditFormat } from '../../model/llmSettings.js';

/**
 * Which existing files the model is asked to change with targeted search/replace edits rather than by
 * sending them whole (EditFormat): `whole` never, `edits` always, `auto` above EDIT_THRESHOLD_LINES. New
 * files are always sent whole.
 */
export type { EditFormat };

/** How the model is asked to change one file: its complete new content, or edits (mode `edit`). */
export type ChangeForm = 'whole' | 'edits';

/**
 * Under `auto`, an existing file of more lines than this is changed with edits; one of this many or
 * fewer is sent whole. A whole file costs output tokens in proportion to its size, and a long answer
 * risks being cut off at the output limit (4,096 tokens for a low-complexity phase: some 300 lines of
 * code); but whole-file answers are well-formed far more often (Aider's benchmarks: about 99.6%, against
 * about 94% for diff formats). 150 lines, roughly 1,500 to 2,000 tokens, keeps small files whole, where
 * a rewrite is cheap and safe, and leaves room in the output limit for a few of them.
 */
export const EDIT_THRESHOLD_LINES = 150;

/** Lines in `content`: a final newline ends the last line rather than starting another; '' has none. */
export function countLines(content: string): number {
  if (content === '') return 0;
  let lines = 1;
  for (let at = content.indexOf('\n'); at !== -1; at = content.indexOf('\n', at + 1)) lines += 1;
  return content.endsWith('\n') ? lines - 1 : lines;
}

/** The form asked for an existing file of `lines` lines. An empty file is sent whole: it has nothing to search. */
export function changeFormFor(editFormat: EditFormat, lines: number): ChangeForm {
  if (lines === 0) return 'whole';
  switch (editFormat) {
    case 'whole':
      return 'whole';
    case 'edits':
      return 'edits';
    case 'auto':
      return lines > EDIT_THRESHOLD_LINES ? 'edits' : 'whole';
    default: {
      const unknown: never = editFormat;
      throw new Error(`unknown edit format ${JSON.stringify(unknown)}`);
    }
  }
}
