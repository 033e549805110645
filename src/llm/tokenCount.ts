import type { LLMMessage } from './types.js';

export interface TokenCounter {
  /** e.g. `o200k_base` or `o200k_base x1.2 (estimate)`; recorded with each prompt. */
  readonly name: string;
  count(text: string): number;
}

/**
 * Models whose tokenizer is o200k_base, so counts are exact. Others (Llama, Qwen, Mistral, DeepSeek...)
 * have their own vocabularies, which split code into up to about 20% more tokens than o200k_base; their
 * counts are o200k_base's scaled by 1.2, so a prompt estimated to fit does fit.
 */
const O200K_MODELS = /^(?:openai\/)?(?:gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o|gpt-oss)/i;
export const UNKNOWN_MODEL_FACTOR = 1.2;
/** Chat framing per message (role and separators) and per reply, as OpenAI documents for its chat models. */
const PER_MESSAGE_TOKENS = 4;
const PER_REPLY_TOKENS = 3;

type CountTokens = (text: string, options?: { disallowedSpecial?: Set<string> }) => number;
let loading: Promise<CountTokens> | undefined;

/** The tokenizer's tables take ~0.3 s to load, so they are loaded on the first prompt, not at import. */
function loadO200k(): Promise<CountTokens> {
  loading ??= import('gpt-tokenizer/encoding/o200k_base').then((module) => module.countTokens as CountTokens);
  return loading;
}

/** Text that looks like a special token (`<|endoftext|>`) is counted as the plain text it is. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

export async function tokenCounterFor(model: string | undefined): Promise<TokenCounter> {
  const countTokens = await loadO200k();
  if (model !== undefined && O200K_MODELS.test(model)) {
    return { name: 'o200k_base', count: (text) => countTokens(text, PLAIN_TEXT) };
  }
  return {
    name: `o200k_base x${UNKNOWN_MODEL_FACTOR} (estimate for ${model ?? 'an unnamed model'})`,
    count: (text) => Math.ceil(countTokens(text, PLAIN_TEXT) * UNKNOWN_MODEL_FACTOR),
  };
}

/**
 * A count that is never below the tokenizer's, at no cost: a byte-level BPE token holds at least one byte,
 * so a text's UTF-8 length bounds its o200k_base count (scaled like the estimate for other models). While
 * a prompt fits its budget by this bound, the exact tokenizer (~0.3 s to load, then per-character work)
 * is not needed; near the budget it is used.
 */
export function upperBoundCounterFor(model: string | undefined): TokenCounter {
  const exact = model !== undefined && O200K_MODELS.test(model);
  const factor = exact ? 1 : UNKNOWN_MODEL_FACTOR;
  return {
    name: `utf-8 bytes${exact ? '' : ` x${UNKNOWN_MODEL_FACTOR}`} (an upper bound of o200k_base; counted exactly only near the budget)`,
    count: (text) => Math.ceil(Buffer.byteLength(text) * factor),
  };
}

export function countMessageTokens(counter: TokenCounter, messages: readonly LLMMessage[]): number {
  return messages.reduce((sum, m) => sum + PER_MESSAGE_TOKENS + counter.count(m.content), PER_REPLY_TOKENS);
}
