import { ModelResponseSchema, type ModelResponse } from '../model/fileChange.js';
import { formatZodError } from '../model/formatZodError.js';
import { canonicalChangePath } from '../validation/index.js';
import type { LLMResponse } from './types.js';
import { objectSpans } from './objectSpans.js';
import { markdownResponse, noFilesReason, readMarkdownAnswer, type BlockContent, type MarkdownRead } from './parseMarkdownAnswer.js';
import { readRepairedJson, scanJson, type JsonScan } from './repairJson.js';

export interface ParseOptions {
  /**
   * Whether a file exists in the repository (its canonical repo-relative path): a whole file sent in
   * markdown is then `modify`, else `create`. Without it, `create`. JSON answers say their mode themselves.
   */
  exists?: (path: string) => boolean;
}

export type ParseOutcome =
  | { ok: true; value: ModelResponse; format: 'json' | 'markdown'; candidate: string }
  | { ok: false; code: 'LLM_TRUNCATED' | 'LLM_EMPTY_RESPONSE' | 'RESPONSE_UNPARSEABLE'; errors: string[] };

const FENCE = /```[a-zA-Z0-9_-]*[ \t]*\n([\s\S]*?)```/dg;
const JSON_FILE = /\.json[c5]?$/i;
/** An object whose first key (after any comments) is `summary` or `files`: the answer, as sent or cut off. */
const ANSWER_START = /^\{\s*(?:(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*["']?(?:summary|files)["']?\s*:/;
const CONTENT_KEYS = new Set(['new_content', 'search', 'replace']);
/** A text without either key cannot repair into the answer; not repairing it spares a markdown answer's code. */
const ANSWER_KEY = /["']?(?:summary|files)["']?\s*:/;

/** A text that may hold the answer, and where it starts in the answer. */
interface Candidate {
  text: string;
  start: number;
  whole: boolean;
}

/** The whole text, then each fenced block, then each top-level `{…}` (the last may run to the end). */
function candidates(text: string): Candidate[] {
  const found: Candidate[] = [];
  const seen = new Set<string>();
  const add = (raw: string, at: number, whole = false): void => {
    const trimmed = raw.trim();
    if (trimmed === '' || seen.has(trimmed)) return;
    seen.add(trimmed);
    found.push({ text: trimmed, start: at + raw.length - raw.trimStart().length, whole });
  };
  add(text, 0, true);
  for (const match of text.matchAll(FENCE)) add(match[1] ?? '', match.indices?.[1]?.[0] ?? match.index);
  for (const span of objectSpans(text)) add(span.text, span.start);
  return found;
}

/**
 * JSON inside a file's block in a markdown answer is that file's text (a package.json, a test's object
 * literal), not the answer; except a JSON answer filling a block whose path is not a JSON file: a model
 * that wrote "Here is the change to `src/a.ts`:" above its JSON answer.
 */
function isFileContent(candidate: Candidate, contents: readonly BlockContent[]): boolean {
  return contents.some(
    (block) =>
      candidate.start >= block.start &&
      candidate.start < block.end &&
      (block.kind === 'edit' || JSON_FILE.test(block.path) || candidate.start !== block.start || candidate.start + candidate.text.length !== block.end),
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An answer that stops inside a string or inside a file's entry was cut off: the file it stopped in is
 * incomplete, whatever a repair would make of it. Only the brackets of the list of files and of the answer
 * itself may be left open (every file is then whole, and the repair closes them).
 */
const isCutOff = (open: JsonScan): boolean => open.inString || open.brackets.length >= 3;

/** Names where the answer stops, from what the repair made of it when it could (undefined otherwise). */
function cutOffError(repaired: unknown, open: JsonScan): string {
  const content = open.key !== null && CONTENT_KEYS.has(open.key) ? open.key : null;
  const files = isRecord(repaired) ? (Array.isArray(repaired['files']) ? (repaired['files'] as unknown[]) : []) : null;
  const last = (files?.length ?? 0) - 1;
  const file = files?.[last];
  const named = isRecord(file) && typeof file['path'] === 'string' ? ` (${JSON.stringify(file['path'])})` : '';
  let where: string;
  if (files === null) where = content === null ? 'before its end' : `inside the ${content} of a file`;
  else if (last < 0) where = 'before its first file';
  else where = content === null ? `inside files[${last}]${named}` : `inside the ${content} of files[${last}]${named}`;
  return (
    `the answer was cut off: its JSON stops ${where}, though the model reported it had finished, so ` +
    `${files !== null && last < 0 ? 'it holds no file' : 'that file would be incomplete'} and nothing of it was used; ` +
    'send the complete answer again (fewer or smaller files if it is long)'
  );
}

type JsonSearch =
  | { found: 'answer'; value: ModelResponse; candidate: string }
  | { found: 'cut-off'; error: string }
  | { found: 'none'; schemaError: string | null };

/**
 * Each candidate as sent, then each repaired: the first that matches the schema and was not cut off. A
 * candidate valid as sent wins over an earlier one that needed repair.
 */
function findJsonAnswer(text: string, markdown: () => MarkdownRead): JsonSearch {
  let schemaError: string | null = null;
  let cutOff: string | null = null;
  const all = candidates(text);
  for (const repair of [false, true]) {
    for (const candidate of all) {
      if (!candidate.whole && isFileContent(candidate, markdown().contents)) continue;
      let value: unknown;
      if (repair) {
        if (!ANSWER_KEY.test(candidate.text)) continue;
        // What was left open is closed here, exactly, rather than by jsonrepair's guesses.
        const open = scanJson(candidate.text);
        const closed = candidate.text + open.closers;
        if (isCutOff(open)) {
          // Named from the object alone: the scan ignored any prose before it, and so must the repair.
          const object = closed.slice(closed.indexOf('{'));
          if (ANSWER_START.test(object)) cutOff ??= cutOffError(readRepairedJson(object), open);
          continue;
        }
        value = readRepairedJson(closed);
        // Prose repairs into a string; only an object can be the answer.
        if (!isRecord(value)) continue;
      } else {
        try {
          value = JSON.parse(candidate.text) as unknown;
        } catch {
          continue;
        }
      }
      const parsed = ModelResponseSchema.safeParse(value);
      if (parsed.success) return { found: 'answer', value: parsed.data, candidate: candidate.text };
      schemaError ??= formatZodError(parsed.error).split('\n').join('; ');
    }
  }
  return cutOff === null ? { found: 'none', schemaError } : { found: 'cut-off', error: cutOff };
}

const excerpt = (text: string): string => {
  const flat = text.trim().replace(/\s+/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
};

/**
 * Finds the answer in what a model actually sent. JSON first: the `{summary, files}` object as the whole
 * text, in a fenced block, or as a balanced `{…}` span; each as sent, then repaired (repairJson.ts: the
 * exact repair of trailing commas and raw newlines, else jsonrepair when it keeps every string as written).
 * An answer cut off inside a file is refused (LLM_TRUNCATED), not completed by the repair.
 * Then markdown (parseMarkdownAnswer.ts): files as path lines and fenced blocks, edits as SEARCH/REPLACE
 * blocks. Windows line endings are read as `\n`. Each path comes out in its canonical spelling
 * (`./src/../lib/x.ts` → `lib/x.ts`), so every later step (validation, apply, the pre-image manifest,
 * recovery, rollback, the log) sees one spelling per file.
 */
export function parseModelResponse(response: LLMResponse, options: ParseOptions = {}): ParseOutcome {
  if (response.finishReason === 'length') {
    return {
      ok: false,
      code: 'LLM_TRUNCATED',
      errors: [
        `the answer was truncated: it hit the output-token limit after ${response.content.length} characters and was cut off; ` +
          'send fewer or smaller files, or raise the output budget',
      ],
    };
  }
  if (response.content.trim() === '') {
    return { ok: false, code: 'LLM_EMPTY_RESPONSE', errors: ['the model returned an empty answer; reply with the JSON object'] };
  }
  const text = response.content.replace(/\r\n/g, '\n');
  let read: MarkdownRead | undefined;
  const markdown = (): MarkdownRead => (read ??= readMarkdownAnswer(text));

  const json = findJsonAnswer(text, markdown);
  if (json.found === 'answer') {
    const files = json.value.files.map((file) => ({ ...file, path: canonicalChangePath(file.path) }));
    return { ok: true, value: { ...json.value, files }, format: 'json', candidate: json.candidate };
  }
  const md = markdown();
  if (md.problem === null && md.blocks.length > 0) {
    return { ok: true, value: markdownResponse(md, options), format: 'markdown', candidate: text.trim() };
  }
  // A markdown answer's own problem says more than a JSON-looking object cut off inside it.
  if (md.problem !== null) return { ok: false, code: md.problem.code, errors: [`${md.problem.message}. The answer began: ${excerpt(text)}`] };
  if (json.found === 'cut-off') return { ok: false, code: 'LLM_TRUNCATED', errors: [json.error] };
  const reason =
    json.schemaError === null
      ? 'no JSON object was found in the answer'
      : `the JSON does not match {"summary": string, "files": [{"path", "mode", "new_content" or "edits"}]}: ${json.schemaError}`;
  return { ok: false, code: 'RESPONSE_UNPARSEABLE', errors: [`${reason}; ${noFilesReason(md)}. The answer began: ${excerpt(text)}`] };
}
