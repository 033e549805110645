import { ModelResponseSchema, type ModelResponse } from '../model/fileChange.js';
import { formatZodError } from '../model/formatZodError.js';
import { canonicalChangePath } from '../validation/index.js';
import type { LLMResponse } from './types.js';
import { balancedObjectSpans, repairJson } from './repairJson.js';

export type ParseOutcome =
  | { ok: true; value: ModelResponse; candidate: string }
  | { ok: false; code: 'LLM_TRUNCATED' | 'LLM_EMPTY_RESPONSE' | 'RESPONSE_UNPARSEABLE'; errors: string[] };

const FENCE = /```[a-zA-Z0-9_-]*[ \t]*\r?\n([\s\S]*?)```/g;

function candidates(content: string): string[] {
  const trimmed = content.trim();
  const fenced = [...trimmed.matchAll(FENCE)].map((m) => (m[1] ?? '').trim());
  return [...new Set([trimmed, ...fenced, ...balancedObjectSpans(trimmed)])];
}

function tryJson(text: string): unknown {
  for (const variant of [text, repairJson(text)]) {
    try {
      return JSON.parse(variant) as unknown;
    } catch {
      // try the next variant
    }
  }
  return undefined;
}

const excerpt = (text: string): string => {
  const flat = text.trim().replace(/\s+/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
};

/**
 * Finds the `{summary, files}` answer in what a model actually sent: the whole text, then each fenced
 * block, then each balanced `{…}` span; each as-is, then repaired. The first that matches the schema wins.
 * Each path comes out in its canonical spelling (`./src/../lib/x.ts` → `lib/x.ts`), so every later step
 * (validation, apply, the pre-image manifest, recovery, rollback, the log) sees one spelling per file.
 */
export function parseModelResponse(response: LLMResponse): ParseOutcome {
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
  let schemaError: string | null = null;
  for (const candidate of candidates(response.content)) {
    const json = tryJson(candidate);
    if (json === undefined) continue;
    const parsed = ModelResponseSchema.safeParse(json);
    if (parsed.success) {
      const files = parsed.data.files.map((file) => ({ ...file, path: canonicalChangePath(file.path) }));
      return { ok: true, value: { ...parsed.data, files }, candidate };
    }
    schemaError ??= formatZodError(parsed.error).split('\n').join('; ');
  }
  const reason =
    schemaError === null
      ? 'no JSON object was found in the answer'
      : `the JSON does not match {"summary": string, "files": [{"path", "mode", "new_content"}]}: ${schemaError}`;
  return { ok: false, code: 'RESPONSE_UNPARSEABLE', errors: [`${reason}. The answer began: ${excerpt(response.content)}`] };
}
