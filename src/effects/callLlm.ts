import fs from 'node:fs/promises';
import path from 'node:path';
import type { CallLlmInput, CallLlmOutput, ContextFileUsed } from '../machines/effectContracts.js';
import type { Complexity } from '../model/phaseSpec.js';
import { buildPhasePrompt } from '../llm/prompts/phasePrompt.js';
import type { LLMClient } from '../llm/types.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

/** Output budget per phase complexity: whole-file answers grow with the size of the change. */
export const DEFAULT_OUTPUT_TOKENS: Record<Complexity, number> = { low: 4_096, medium: 8_192, high: 16_384 };

export interface CallLlmDeps extends EffectRuntime {
  llmClient: LLMClient;
  repoRoot: string;
  outputTokens?: Record<Complexity, number>;
}

async function readIfFile(absolutePath: string): Promise<string | null> {
  try {
    const stat = await fs.stat(absolutePath);
    return stat.isFile() ? await fs.readFile(absolutePath, 'utf8') : null;
  } catch {
    return null;
  }
}

/** Explicit context files, or else the deliverables that already exist (the files the model must change). */
async function gatherContext(
  repoRoot: string,
  input: CallLlmInput,
): Promise<{ used: ContextFileUsed[]; files: { path: string; content: string }[] }> {
  const explicit = input.contextFiles.length > 0;
  const candidates = [...new Set(explicit ? input.contextFiles : input.spec.deliverables)];
  const used: ContextFileUsed[] = [];
  const files: { path: string; content: string }[] = [];
  for (const relative of candidates) {
    const content = await readIfFile(path.resolve(repoRoot, relative));
    if (content === null) {
      if (explicit) used.push({ path: relative, bytes: null });
      continue;
    }
    used.push({ path: relative, bytes: Buffer.byteLength(content) });
    files.push({ path: relative, content });
  }
  return { used, files };
}

export function fromCallLlm(deps: CallLlmDeps) {
  const outputTokens = deps.outputTokens ?? DEFAULT_OUTPUT_TOKENS;
  return fromEffect<CallLlmInput, CallLlmOutput>(deps, {
    failureCode: 'LLM_FAILED',
    retryable: true,
    run: async (input, signal) => {
      const context = await gatherContext(deps.repoRoot, input);
      const prompt = buildPhasePrompt({
        spec: input.spec,
        protectedPaths: input.protectedPaths,
        contextFiles: context.files,
        previousErrors: input.previousErrors,
        attempt: input.attempt,
      });
      const maxOutputTokens = outputTokens[input.spec.complexity];
      const startedAt = performance.now();
      const response = await deps.llmClient.complete({ messages: prompt.messages, maxOutputTokens, signal });
      return {
        request: { promptId: prompt.id, promptVersion: prompt.version, messages: prompt.messages, maxOutputTokens },
        response,
        latencyMs: Math.round(performance.now() - startedAt),
        context: context.used,
      };
    },
  });
}
