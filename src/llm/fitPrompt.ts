import type { ContextFileUsed } from '../machines/effectContracts.js';
import { AutopackError } from '../model/errors.js';
import { buildPhasePrompt, type BuiltPrompt, type PhasePromptInput } from './prompts/phasePrompt.js';
import { countMessageTokens, type TokenCounter } from './tokenCount.js';

export interface CandidateFile {
  path: string;
  content: string;
  /** Deliverables are required: the model rewrites them whole, so it must see them whole. */
  required: boolean;
}

export interface FittedPrompt {
  prompt: BuiltPrompt;
  promptTokens: number;
  context: ContextFileUsed[];
}

/** Below this, a cut-down file tells the model too little to be worth its tokens. */
const MIN_TRUNCATED_TOKENS = 200;
/** Heading and fences around each file in the prompt. */
const FILE_FRAME_TOKENS = 12;

const truncationNote = (kept: number, total: number): string =>
  `\n[autopack: file truncated to fit the prompt budget; ${kept} of ${total} lines shown. It is context only: do not rewrite it from this excerpt.]\n`;

/** The longest line prefix of `content` (with a note saying so) that fits in `budget` tokens, or null. */
function truncateToFit(content: string, budget: number, counter: TokenCounter): { content: string; tokens: number } | null {
  const lines = content.split('\n');
  const render = (n: number) => lines.slice(0, n).join('\n') + truncationNote(n, lines.length);
  let low = 0;
  let high = lines.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (counter.count(render(mid)) <= budget) low = mid;
    else high = mid - 1;
  }
  if (low === 0) return null;
  const text = render(low);
  return { content: text, tokens: counter.count(text) };
}

function describeRequired(files: readonly CandidateFile[], counter: TokenCounter): string {
  return files.map((f) => `${f.path} (${counter.count(f.content)} tokens)`).join(', ');
}

/**
 * Builds the phase prompt within `maxPromptTokens`: the phase text and the deliverables always go in;
 * other context files go in by priority (their order) while they fit, the first that does not fit is
 * cut short if enough room is left, and the rest are left out. Every cut is reported in `context`.
 */
export function fitPrompt(params: {
  base: Omit<PhasePromptInput, 'contextFiles'>;
  candidates: readonly CandidateFile[];
  missing: readonly string[];
  maxPromptTokens: number;
  counter: TokenCounter;
}): FittedPrompt {
  const { base, candidates, maxPromptTokens, counter } = params;
  const build = (files: readonly { path: string; content: string }[]) => buildPhasePrompt({ ...base, contextFiles: files });
  const required = candidates.filter((c) => c.required);
  const requiredTokens = countMessageTokens(counter, build(required).messages);
  if (requiredTokens > maxPromptTokens) {
    const files = required.length === 0 ? 'no files' : describeRequired(required, counter);
    throw new AutopackError(
      'PROMPT_TOO_LARGE',
      `the phase's own prompt needs ${requiredTokens} tokens (phase text and deliverables: ${files}) but the prompt budget is ${maxPromptTokens}; raise maxTokens (--max-prompt-tokens) or split the phase so each changes fewer or smaller files`,
    );
  }

  const entries = new Map<string, ContextFileUsed>();
  const included: { path: string; content: string; required: boolean }[] = [];
  let estimate = requiredTokens;
  // Strict priority: once a file is cut, nothing of lower priority goes in, even if it is small.
  let cutSoFar = false;
  for (const file of candidates) {
    const tokens = counter.count(file.content);
    const entry: ContextFileUsed = { path: file.path, bytes: Buffer.byteLength(file.content), tokens };
    entries.set(file.path, entry);
    if (file.required) {
      included.push(file);
      continue;
    }
    const room = maxPromptTokens - estimate - FILE_FRAME_TOKENS - counter.count(file.path);
    if (cutSoFar) {
      entry.cut = { kind: 'dropped', keptTokens: 0, reason: 'a more important context file already had to be cut' };
      continue;
    }
    if (tokens <= room) {
      included.push(file);
      estimate += tokens + FILE_FRAME_TOKENS;
      continue;
    }
    cutSoFar = true;
    const truncated = room >= MIN_TRUNCATED_TOKENS ? truncateToFit(file.content, room, counter) : null;
    if (truncated === null) {
      entry.cut = { kind: 'dropped', keptTokens: 0, reason: `${tokens} tokens, ${Math.max(0, room)} left in the prompt budget` };
      continue;
    }
    included.push({ path: file.path, content: truncated.content, required: false });
    entry.cut = { kind: 'truncated', keptTokens: truncated.tokens, reason: `${tokens} tokens, ${room} left in the prompt budget` };
    estimate += truncated.tokens + FILE_FRAME_TOKENS;
  }

  // The estimate is per file; the exact count of the assembled prompt decides, dropping the least important.
  // With only the required files in, the prompt is the one already counted.
  const onlyRequired = included.length === required.length;
  let prompt = build(included);
  let promptTokens = onlyRequired ? requiredTokens : countMessageTokens(counter, prompt.messages);
  while (promptTokens > maxPromptTokens) {
    const lastOptional = included.findLastIndex((f) => !f.required);
    if (lastOptional < 0) break;
    const [dropped] = included.splice(lastOptional, 1);
    const entry = dropped === undefined ? undefined : entries.get(dropped.path);
    if (entry !== undefined) entry.cut = { kind: 'dropped', keptTokens: 0, reason: 'the assembled prompt was over budget' };
    prompt = build(included);
    promptTokens = countMessageTokens(counter, prompt.messages);
  }

  const context = [...entries.values(), ...params.missing.map((path) => ({ path, bytes: null }))];
  return { prompt, promptTokens, context };
}
