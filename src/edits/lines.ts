/**
 * A file cut into lines, each kept with its own ending, so that the lines no edit touches are written back
 * byte for byte (even in a file that mixes CRLF and LF).
 */
export interface FileLines {
  /** Each line without its ending. */
  readonly texts: readonly string[];
  /** Each line's ending as found: '\r\n', '\n', or '' for a last line without one. */
  readonly ends: readonly string[];
  /** The ending given to new lines: '\r\n' when most of the file's lines end so, else '\n'. */
  readonly eol: '\n' | '\r\n';
  readonly finalNewline: boolean;
}

export function splitFile(content: string): FileLines {
  const texts: string[] = [];
  const ends: string[] = [];
  let crlf = 0;
  let lf = 0;
  let from = 0;
  while (from < content.length) {
    const newline = content.indexOf('\n', from);
    if (newline === -1) {
      texts.push(content.slice(from));
      ends.push('');
      break;
    }
    const isCrlf = newline > from && content[newline - 1] === '\r';
    texts.push(content.slice(from, isCrlf ? newline - 1 : newline));
    ends.push(isCrlf ? '\r\n' : '\n');
    if (isCrlf) crlf += 1;
    else lf += 1;
    from = newline + 1;
  }
  return { texts, ends, eol: crlf > lf ? '\r\n' : '\n', finalNewline: content.endsWith('\n') };
}

/** A search or a replacement, as lines. */
export interface TextLines {
  readonly lines: readonly string[];
  /** The text ended with a newline (which ends its last line rather than starting an empty one). */
  readonly finalNewline: boolean;
}

/** Splits on '\n' or '\r\n', whatever the file uses: models write JSON strings with '\n'. */
export function splitText(text: string): TextLines {
  if (text === '') return { lines: [], finalNewline: false };
  const lines = text.split(/\r?\n/);
  const finalNewline = lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
}

/** A line seen the ways the matching tiers compare it. */
export interface LineShape {
  /** The line without trailing spaces, tabs and carriage returns. */
  readonly trimmed: string;
  /** The leading spaces and tabs of `trimmed`. */
  readonly indent: string;
  /** `trimmed` without its indent: '' for a blank line. */
  readonly core: string;
}

const TRAILING = /[ \t\r]+$/;
const LEADING = /^[ \t]*/;

export function shapeOf(line: string): LineShape {
  const trimmed = line.replace(TRAILING, '');
  const indent = LEADING.exec(trimmed)?.[0] ?? '';
  return { trimmed, indent, core: trimmed.slice(indent.length) };
}

/** Lines with their shapes and, for each non-blank core, where it occurs (0-based, ascending). */
export interface IndexedLines {
  readonly texts: readonly string[];
  readonly shapes: readonly LineShape[];
  readonly byCore: ReadonlyMap<string, readonly number[]>;
}

export function indexLines(texts: readonly string[]): IndexedLines {
  const shapes = texts.map(shapeOf);
  const byCore = new Map<string, number[]>();
  shapes.forEach((shape, index) => {
    if (shape.core === '') return;
    const positions = byCore.get(shape.core);
    if (positions === undefined) byCore.set(shape.core, [index]);
    else positions.push(index);
  });
  return { texts, shapes, byCore };
}
