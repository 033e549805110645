/** A top-level `{…}` in a text: where it starts, its text, and whether it closes before the text ends. */
export interface ObjectSpan {
  start: number;
  text: string;
  closed: boolean;
}

/**
 * The top-level `{…}` spans of a text, in order, skipping braces inside double-quoted strings. An object
 * still open where the text stops (an answer cut off, or a closing brace forgotten) is the last span and
 * runs to the end, so the repair can be asked about it.
 */
export function objectSpans(text: string): ObjectSpan[] {
  const spans: ObjectSpan[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"' && depth > 0) inString = true;
    else if (ch === '{') {
      if (depth === 0) start = i;
      depth += 1;
    } else if (ch === '}' && depth > 0) {
      depth -= 1;
      if (depth === 0) spans.push({ start, text: text.slice(start, i + 1), closed: true });
    }
  }
  if (depth > 0) spans.push({ start, text: text.slice(start), closed: false });
  return spans;
}
