import type { FileChange, ModelResponse, SearchReplace } from '../model/fileChange.js';
import { canonicalChangePath } from '../validation/index.js';

/*
 * Answers in markdown, for models that send files as code blocks whatever format they were asked for.
 *
 * A whole file is a path line, then (blank lines allowed) a fenced block holding the complete file:
 *
 *     **src/a.ts**
 *     ```ts
 *     export const a = 1;
 *     ```
 *
 * An edit is Aider's SEARCH/REPLACE block: a path line, a fence, `<<<<<<< SEARCH`, the lines to find,
 * `=======`, the lines to put instead, `>>>>>>> REPLACE`, the closing fence. One fence may hold several
 * blocks, each optionally preceded by its own path line; a block with no path line of its own belongs to
 * the file named before its fence, else to the file of the block before it (as Aider reads them). A block
 * not in any fence is read too. The blocks for one file make one `edit` change, in order; SEARCH and
 * REPLACE hold whole lines, each ending with a newline. Markers are Aider's: 5 to 9 `<`, `=` or `>`.
 *
 * Path lines: the line just before the fence (blank lines aside) is, once trimmed, one of
 *   - the path alone: `src/a.ts`, with any of `#`…`######` or a list marker (`-`, `*`, `+`, `1.`) before it;
 *   - the path wrapped in `**`, `__`, `*`, backticks or quotes, in any nesting (`**\`src/a.ts\`**`);
 *   - a label then the path: `File: src/a.ts`, `Filename:`, `File path:`, `Path:` (any case, the label
 *     bold or not: `**File:** src/a.ts`, `**File: src/a.ts**`);
 *   - a sentence ending with `:` holding exactly one code span, the path: "Here is the updated `src/a.ts`:".
 * A trailing `:` and a note in parentheses after the path are ignored (`**src/a.ts** (new file)`). Without a label, a path needs a `/` or an extension (`src/Makefile`,
 * `README.md`, `.gitignore`), so a heading such as `### Example` before a code block is not read as a
 * file; with one, a bare name is enough (`File: Makefile`). No spaces in paths. A path in the fence's info
 * string (```` ```ts src/a.ts ````) is not read.
 *
 * Fences: three or more backticks or tildes, an optional info string, closed by a line of at least as
 * many of the same character (CommonMark). Inside a whole file, a fence line with an info string opens a
 * nested block whose bare fence closes it, so a README holding ```` ```bash ```` … ```` ``` ```` keeps its
 * examples even in a fence of three; if that reading finds no end, the first bare fence closes the file.
 * A longer outer fence (```` ```` ````) is always read right. A fenced block with no path line before it
 * and no SEARCH/REPLACE inside is an example, and ignored, as is all prose between blocks.
 *
 * The end of the answer:
 *   - a whole file whose fence is never closed is refused (LLM_TRUNCATED): the model may have been cut off
 *     (servers have reported `stop` for answers cut at the token limit), and a cut file must not be written
 *     as if complete;
 *   - an edit fence never closed is accepted when its last block reached `>>>>>>> REPLACE`; a block that
 *     stops before that marker is refused (LLM_TRUNCATED).
 *
 * Mode: the parser does not read the disk: a whole file is `modify` when the caller's `exists(path)` says
 * so, else `create`. A file cannot be deleted in markdown (JSON can). A lone block with an empty SEARCH for
 * a file `exists` says is absent creates it with the REPLACE text (Aider's way to create a file); without
 * `exists`, it stays an edit. Paths get their canonical spelling, as JSON ones do. Windows line endings
 * are read as `\n` (the caller normalises them).
 */

/** One block of a markdown answer, as written, its line counted from 1. */
export type MarkdownBlock =
  | { kind: 'file'; path: string; content: string; line: number }
  | { kind: 'edit'; path: string; search: string; replace: string; line: number };

/** Why a markdown answer is refused. */
export interface MarkdownProblem {
  code: 'LLM_TRUNCATED' | 'RESPONSE_UNPARSEABLE';
  message: string;
}

/** A fenced block's content in the text: [start, end) without the whitespace around it. */
export interface BlockContent {
  start: number;
  end: number;
  kind: MarkdownBlock['kind'];
  path: string;
}

/** What was read from a markdown answer. */
export interface MarkdownRead {
  /** The first paragraph of the prose before the first block, capped, or NO_SUMMARY. */
  summary: string;
  blocks: MarkdownBlock[];
  /** Where each block's fenced content lies in the text, so JSON found there is known as content. */
  contents: BlockContent[];
  /** Fenced blocks read as examples (no path line, no SEARCH/REPLACE), for the error when no file is found. */
  ignoredFences: number;
  /** The first block that could not be read; nothing of the answer should be used then. */
  problem: MarkdownProblem | null;
}

export interface MarkdownOptions {
  /** Whether a file exists (canonical repo-relative path): a whole file is then `modify`, else `create`. */
  exists?: (path: string) => boolean;
}

export type MarkdownOutcome = { ok: true; value: ModelResponse } | { ok: false; code: MarkdownProblem['code'] | 'NO_FILES'; errors: string[] };

export const NO_SUMMARY = '(no summary given)';
const SUMMARY_CHARS = 300;

const SEARCH = /^<{5,9} SEARCH>?\s*$/;
const DIVIDER = /^={5,9}\s*$/;
const REPLACE = /^>{5,9} REPLACE\s*$/;
const FENCE = /^( *)(`{3,}|~{3,})(.*)$/;
const LABEL = /^(?:\*\*|__)?(?:file ?name|file ?path|file|path)\s*:\s*(?:\*\*|__)?\s*/i;
const LEAD = /^(?:#{1,6}\s+|[-+*]\s+|\d+[.)]\s+)/;
const WRAPPERS = ['**', '__', '*', '`', '"', "'"];
const PATH_CHARS = /^[\w@~+=,.\-[\]()$%\\/]+$/;
const WITH_EXTENSION = /(?:^|[/\\])[^/\\]*\.[\w-]*[A-Za-z][\w-]*$/;

interface Fence {
  indent: number;
  char: string;
  length: number;
  info: string;
}

function fenceOf(line: string): Fence | null {
  const match = FENCE.exec(line);
  if (match === null) return null;
  const [, indent = '', marks = '', info = ''] = match;
  if (marks[0] === '`' && info.includes('`')) return null;
  return { indent: indent.length, char: marks[0] as string, length: marks.length, info: info.trim() };
}

/** The line is a fence of the same kind as `open`, at least as long: a close when bare, a nested opening when not. */
function sameFence(line: string, open: Fence): Fence | null {
  const fence = fenceOf(line);
  if (fence === null || fence.char !== open.char || fence.length < open.length) return null;
  return fence.indent <= Math.max(3, open.indent) ? fence : null;
}

const isClose = (line: string, open: Fence): boolean => sameFence(line, open)?.info === '';

function dedent(line: string, indent: number): string {
  let cut = 0;
  while (cut < indent && line[cut] === ' ') cut += 1;
  return cut === 0 ? line : line.slice(cut);
}

function unwrap(text: string): string {
  let value = text.trim();
  for (let changed = true; changed; ) {
    changed = false;
    const trimmed = value.replace(/\s*:$/, '').replace(/\s+\([^()`]*\)$/, '');
    if (trimmed !== value) {
      value = trimmed;
      changed = true;
    }
    for (const wrapper of WRAPPERS) {
      if (value.length > 2 * wrapper.length && value.startsWith(wrapper) && value.endsWith(wrapper)) {
        value = value.slice(wrapper.length, -wrapper.length).trim();
        changed = true;
      }
    }
  }
  return value;
}

const looksLikePath = (text: string, labelled: boolean): boolean =>
  PATH_CHARS.test(text) && /[A-Za-z0-9]/.test(text) && !text.endsWith('.') && (labelled || text.includes('/') || WITH_EXTENSION.test(text));

/** The path a line names by the forms above, or null when it is prose. */
export function pathFromLine(line: string): string | null {
  const text = line.trim().replace(LEAD, '');
  const plain = unwrap(text);
  for (const form of [plain, text]) {
    const label = LABEL.exec(form);
    if (label === null) continue;
    const labelled = unwrap(form.slice(label[0].length));
    return looksLikePath(labelled, true) ? labelled : null;
  }
  if (looksLikePath(plain, false)) return plain;
  const spans = [...text.matchAll(/`([^`]+)`/g)];
  if (text.endsWith(':') && /\s/.test(text) && spans.length === 1) {
    const inSpan = (spans[0]?.[1] ?? '').trim();
    if (looksLikePath(inSpan, false)) return inSpan;
  }
  return null;
}

/** The first `count` lines from `from` on that are not blank. */
function nonBlankLines(lines: readonly string[], from: number, count: number): string[] {
  const found: string[] = [];
  for (let k = from; k < lines.length && found.length < count; k += 1) {
    if ((lines[k] as string).trim() !== '') found.push(lines[k] as string);
  }
  return found;
}

function firstParagraph(lines: string[]): string {
  const paragraph: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      if (paragraph.length > 0) break;
      continue;
    }
    paragraph.push(line.trim().replace(/^#{1,6}\s+/, ''));
  }
  const flat = paragraph.join(' ').replace(/\s+/g, ' ').trim();
  if (flat === '') return NO_SUMMARY;
  return flat.length > SUMMARY_CHARS ? `${flat.slice(0, SUMMARY_CHARS - 1)}…` : flat;
}

/** Reads the blocks of a markdown answer (line endings already `\n`). */
export function readMarkdownAnswer(text: string): MarkdownRead {
  const lines = text.split('\n');
  const starts: number[] = [];
  let offset = 0;
  for (const line of lines) {
    starts.push(offset);
    offset += line.length + 1;
  }
  const at = (index: number): number => (index < lines.length ? (starts[index] as number) : text.length);
  /** Lines [from, to) as text: whole lines, each ending with a newline. */
  const slice = (from: number, to: number, indent: number): string => {
    const part = lines.slice(from, to).map((line) => dedent(line, indent));
    return part.length === 0 ? '' : `${part.join('\n')}\n`;
  };
  const blocks: MarkdownBlock[] = [];
  const contents: BlockContent[] = [];
  /** Notes where lines [from, to) lie in the text, without the whitespace around them. */
  const content = (from: number, to: number, kind: MarkdownBlock['kind'], path: string): void => {
    let start = at(from);
    let end = Math.max(start, at(to));
    while (start < end && /\s/.test(text[start] as string)) start += 1;
    while (end > start && /\s/.test(text[end - 1] as string)) end -= 1;
    contents.push({ start, end, kind, path });
  };
  /** The nearest line before `index`, not before `from`, that is not blank: its index and the path it names. */
  const lineBefore = (index: number, from: number, indent: number): { index: number; path: string | null } | null => {
    for (let k = index - 1; k >= from; k -= 1) {
      const line = dedent(lines[k] as string, indent);
      if (line.trim() !== '') return { index: k, path: pathFromLine(line) };
    }
    return null;
  };
  let lastEditPath: string | null = null;
  /** Reads the SEARCH/REPLACE block whose marker is at `head`: the line after it, or a problem. */
  const readEdit = (head: number, path: string | null, indent: number): number | MarkdownProblem => {
    const where = `the edit block at line ${head + 1}`;
    if (path === null) {
      return { code: 'RESPONSE_UNPARSEABLE', message: `${where} names no file; put the file's path on the line before its opening fence` };
    }
    let divider = -1;
    for (let k = head + 1; k < lines.length; k += 1) {
      const line = dedent(lines[k] as string, indent);
      if (divider < 0 && DIVIDER.test(line)) divider = k;
      else if (divider >= 0 && REPLACE.test(line)) {
        blocks.push({ kind: 'edit', path, search: slice(head + 1, divider, indent), replace: slice(divider + 1, k, indent), line: head + 1 });
        lastEditPath = path;
        return k + 1;
      }
    }
    const missing = divider < 0 ? '=======' : '>>>>>>> REPLACE';
    return { code: 'LLM_TRUNCATED', message: `${where} (${path}) has no ${missing} line: the answer ends inside it, cut off; send the complete block` };
  };

  let ignoredFences = 0;
  let firstBlockLine: number | null = null;
  let problem: MarkdownProblem | null = null;
  let proseFrom = 0;
  let i = 0;
  while (i < lines.length && problem === null) {
    const line = lines[i] as string;
    const before = (): { index: number; path: string | null } | null => lineBefore(i, proseFrom, 0);

    if (SEARCH.test(line)) {
      // An edit block outside any fence.
      const named = before();
      const path = named?.path ?? lastEditPath;
      firstBlockLine ??= named !== null && named.path !== null ? named.index : i;
      const next = readEdit(i, path, 0);
      if (typeof next !== 'number') problem = next;
      else {
        content(i, next, 'edit', path ?? '');
        i = proseFrom = next;
      }
      continue;
    }

    const fence = fenceOf(line);
    if (fence === null) {
      i += 1;
      continue;
    }
    const named = before();
    const fencePath = named?.path ?? null;
    const blockStart = named !== null && fencePath !== null ? named.index : i;
    const [first = '', second = ''] = nonBlankLines(lines, i + 1, 2).map((inner) => dedent(inner, fence.indent));
    const holdsEdits = SEARCH.test(first) || (pathFromLine(first) !== null && SEARCH.test(second));

    if (fencePath !== null && !holdsEdits) {
      // A whole file, up to its closing fence; a fence line with an info string opens a nested block.
      let nested = 0;
      let firstBareClose = -1;
      let close = -1;
      for (let k = i + 1; k < lines.length && close < 0; k += 1) {
        const inner = sameFence(lines[k] as string, fence);
        if (inner === null) continue;
        if (inner.info !== '') nested += 1;
        else if (nested === 0) close = k;
        else {
          if (firstBareClose < 0) firstBareClose = k;
          nested -= 1;
        }
      }
      if (close < 0) close = firstBareClose;
      firstBlockLine ??= blockStart;
      if (close < 0) {
        content(i + 1, lines.length, 'file', fencePath);
        problem = {
          code: 'LLM_TRUNCATED',
          message:
            `the block for ${fencePath} (line ${i + 1}) has no closing fence: the answer ends inside it, so the file may be cut off; ` +
            `send the complete file and close its fence with ${fence.char.repeat(fence.length)}`,
        };
        break;
      }
      blocks.push({ kind: 'file', path: fencePath, content: slice(i + 1, close, fence.indent), line: i + 1 });
      content(i + 1, close, 'file', fencePath);
      i = proseFrom = close + 1;
      continue;
    }

    // SEARCH/REPLACE blocks up to the closing fence (or the end), or else an example to ignore.
    let k = i + 1;
    let blockFrom = k;
    let firstPath: string | null = null;
    while (k < lines.length && !isClose(lines[k] as string, fence) && problem === null) {
      if (!SEARCH.test(dedent(lines[k] as string, fence.indent))) {
        k += 1;
        continue;
      }
      const path: string | null = lineBefore(k, blockFrom, fence.indent)?.path ?? (firstPath === null ? fencePath : null) ?? lastEditPath;
      firstBlockLine ??= blockStart;
      const next = readEdit(k, path, fence.indent);
      if (typeof next !== 'number') problem = next;
      else {
        firstPath ??= path;
        k = blockFrom = next;
      }
    }
    if (firstPath !== null) content(i + 1, k, 'edit', firstPath);
    else ignoredFences += 1;
    i = proseFrom = k + 1;
  }
  return { summary: firstParagraph(lines.slice(0, firstBlockLine ?? 0)), blocks, contents, ignoredFences, problem };
}

/** The changes the blocks make, in the order their files first appear. */
export function markdownResponse(read: MarkdownRead, options: MarkdownOptions = {}): ModelResponse {
  const files: FileChange[] = [];
  const editsOf = new Map<string, SearchReplace[]>();
  for (const block of read.blocks) {
    const path = canonicalChangePath(block.path);
    if (block.kind === 'file') {
      files.push({ path, mode: options.exists?.(path) === true ? 'modify' : 'create', new_content: block.content });
      continue;
    }
    const edit = { search: block.search, replace: block.replace };
    const edits = editsOf.get(path);
    if (edits !== undefined) edits.push(edit);
    else {
      editsOf.set(path, [edit]);
      files.push({ path, mode: 'edit', edits: editsOf.get(path) ?? [] });
    }
  }
  return { summary: read.summary, files: files.map((file) => newFileFromEdit(file, options.exists)) };
}

/** Aider creates a file with one block whose SEARCH is empty; only when the file is known to be absent. */
function newFileFromEdit(file: FileChange, exists: MarkdownOptions['exists']): FileChange {
  const only = file.edits?.length === 1 ? file.edits[0] : undefined;
  if (file.mode !== 'edit' || only === undefined || only.search !== '' || exists === undefined || exists(file.path)) return file;
  return { path: file.path, mode: 'create', new_content: only.replace };
}

/** Reads a markdown answer into the `{summary, files}` answer, or says why it cannot. */
export function parseMarkdownAnswer(text: string, options: MarkdownOptions = {}): MarkdownOutcome {
  const read = readMarkdownAnswer(text.replace(/\r\n/g, '\n'));
  if (read.problem !== null) return { ok: false, code: read.problem.code, errors: [read.problem.message] };
  if (read.blocks.length === 0) return { ok: false, code: 'NO_FILES', errors: [noFilesReason(read)] };
  return { ok: true, value: markdownResponse(read, options) };
}

/** Why no file was found in markdown, for the error. */
export function noFilesReason(read: MarkdownRead): string {
  const examples = read.ignoredFences === 0 ? 'no fenced block' : `${read.ignoredFences} fenced block(s) but no path line right before any`;
  return (
    `no file in markdown either (${examples}): a line with the file's path (src/a.ts, **src/a.ts**, File: src/a.ts) ` +
    'followed by a fenced block with the complete file, or with <<<<<<< SEARCH / ======= / >>>>>>> REPLACE edit blocks'
  );
}
