import { jsonrepair } from 'jsonrepair';

/** A double-quoted string (or one left open at the end), or a comma that only closing brackets follow. */
const STRING_OR_TRAILING_COMMA = /"[^"\\]*(?:\\[\s\S][^"\\]*)*(?:"|$)|,(?=\s*[}\]])/g;
const CONTROL: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Repairs the two slips models make most in hand-written JSON: trailing commas before `}`/`]`, and raw
 * newlines, tabs or carriage returns inside string literals. String-aware, so commas and newlines that
 * are part of string content are left alone. Exact: when its output is valid JSON, every string reads as
 * the model wrote it. One regex pass (a character loop building the text cost twice as long on 20 KB).
 */
export function repairJson(text: string): string {
  return text.replace(STRING_OR_TRAILING_COMMA, (token) => (token === ',' ? '' : token.replace(/[\n\r\t]/g, (ch) => CONTROL[ch] ?? ch)));
}

/** Every string in a JSON value, keys included, with how often each occurs. */
function stringCounts(value: unknown, counts = new Map<string, number>()): Map<string, number> {
  const add = (text: string): void => void counts.set(text, (counts.get(text) ?? 0) + 1);
  if (typeof value === 'string') add(value);
  else if (Array.isArray(value)) for (const item of value) stringCounts(item, counts);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      add(key);
      stringCounts(item, counts);
    }
  }
  return counts;
}

/** Whether each quoted string of the text is, as written, a string of the repaired value. */
function keepsEveryString(strings: readonly string[], repaired: unknown): boolean {
  const counts = stringCounts(repaired);
  for (const text of strings) {
    const left = counts.get(text) ?? 0;
    if (left === 0) return false;
    counts.set(text, left - 1);
  }
  return true;
}

/**
 * The value of a JSON text that is not valid as sent. First `repairJson` (exact, for its two slips); else
 * the `jsonrepair` library: `//` and `/* *\/` comments, single quotes, unquoted keys, Python's
 * None/True/False, missing commas, and more. jsonrepair guesses where strings end when brackets inside them
 * look unbalanced, and can then move string text into the structure without a word (a `new_content` cut
 * short, its rest read as keys); so its repair is used only when every quoted string of the text reads the
 * same in it. Undefined when neither repairs it. Ask `scanJson` first whether the text was cut off: both
 * would read what came before the cut, and jsonrepair would guess where to close it.
 */
export function readRepairedJson(text: string): unknown {
  try {
    return JSON.parse(repairJson(text)) as unknown;
  } catch {
    // more than the two slips: try jsonrepair
  }
  let repaired: unknown;
  try {
    repaired = JSON.parse(jsonrepair(text)) as unknown;
  } catch {
    // JSONRepairError when it cannot be repaired; anything else it might throw means the same to a parser
    return undefined;
  }
  return keepsEveryString(quotedStrings(text), repaired) ? repaired : undefined;
}

/** A JSON text read the lenient way: where its quoted strings are, and what it leaves open where it stops. */
export interface JsonScan {
  /** Each quoted string's text, keys included, as [start, end) offsets inside its quotes (`quotedStrings` decodes them). */
  strings: Array<[number, number]>;
  /** The brackets not closed, outermost first (`{[{` inside the first file of an answer). */
  brackets: string;
  /** The text stops inside a string. */
  inString: boolean;
  /** When that string is a value: the key it belongs to (`new_content`); else null. */
  key: string | null;
  /** What closes the text where it stops: the open string's quote, then each bracket (`"}]}`). */
  closers: string;
}

const IDENTIFIER = /[A-Za-z0-9_$]/;
const DOUBLE_QUOTED_STOP = /["\\]/g;
const SINGLE_QUOTED_STOP = /['\\]/g;
const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** A string literal's text as jsonrepair reads it: JSON escapes, `\'`, and any other `\x` as `x`. */
function decode(raw: string): string {
  return raw.replace(/\\(u[0-9a-fA-F]{4}|[\s\S])/g, (_match, escape: string) =>
    escape.length === 5 ? String.fromCharCode(Number.parseInt(escape.slice(1), 16)) : (ESCAPES[escape] ?? escape),
  );
}

/**
 * Reads a text as jsonrepair would (double- or single-quoted strings, comments, unquoted keys), without
 * its guesses: a quote ends a string. Says what is still open where the text stops, which is how a
 * repaired answer tells a forgotten closing bracket from an answer cut off inside a file. Text outside the
 * top-level `{…}` is prose and ignored.
 */
export function scanJson(text: string): JsonScan {
  const strings: Array<[number, number]> = [];
  const brackets: string[] = [];
  let quote: string | null = null;
  /** The text stops right after a backslash inside a string. */
  let escaped = false;
  let stringStart = 0;
  let stringIsValue = false;
  /** The last string or bare word, a key if a colon follows: decoded only then (most strings are content). */
  let lastToken: string | [number, number] | null = null;
  let key: string | null = null;
  let previous = '';
  for (let i = 0; i < text.length; i += 1) {
    if (quote !== null) {
      // Inside a string: jump to its next backslash or quote (most of an answer is file content).
      const stop = quote === '"' ? DOUBLE_QUOTED_STOP : SINGLE_QUOTED_STOP;
      stop.lastIndex = i;
      const found = stop.exec(text);
      if (found === null) {
        i = text.length;
        break;
      }
      i = found.index;
      if (text[i] === '\\') {
        if (i + 1 >= text.length) escaped = true;
        i += 1;
        continue;
      }
      quote = null;
      lastToken = [stringStart, i];
      strings.push(lastToken);
      previous = '"';
      continue;
    }
    const ch = text[i] as string;
    if (brackets.length === 0) {
      if (ch === '{') brackets.push(ch);
      continue;
    }
    if (ch === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (ch === '"' || (ch === "'" && '{[,:'.includes(previous))) {
      // A single quote opens a string only where a value or key starts: elsewhere it is an apostrophe.
      quote = ch;
      stringStart = i + 1;
      stringIsValue = previous === ':';
    } else if (ch === '{' || ch === '[') {
      brackets.push(ch);
      previous = ch;
    } else if (ch === '}' || ch === ']') {
      brackets.pop();
      previous = ch;
    } else if (ch === ':') {
      key = typeof lastToken === 'string' || lastToken === null ? lastToken : decode(text.slice(...lastToken));
      previous = ch;
    } else if (IDENTIFIER.test(ch)) {
      let end = i + 1;
      while (end < text.length && IDENTIFIER.test(text[end] as string)) end += 1;
      lastToken = text.slice(i, end);
      previous = 'a';
      i = end - 1;
    } else if (!/\s/.test(ch)) {
      previous = ch;
    }
  }
  const inString = quote !== null;
  const closers = `${escaped ? '\\' : ''}${quote ?? ''}${brackets.map((open) => (open === '{' ? '}' : ']')).reverse().join('')}`;
  return { strings, brackets: brackets.join(''), inString, key: inString && stringIsValue ? key : null, closers };
}

/** Each quoted string of a text, keys included, decoded as jsonrepair reads them. */
export function quotedStrings(text: string): string[] {
  return scanJson(text).strings.map(([start, end]) => decode(text.slice(start, end)));
}
