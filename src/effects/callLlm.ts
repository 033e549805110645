import fs from 'node:fs';
import path from 'node:path';
import type { CallLlmInput, CallLlmOutput, InterruptReason, LoggedLlmAttempt } from '../machines/effectContracts.js';
import { AutopackError } from '../model/errors.js';
import { isAbsent, osErrorText } from '../model/osError.js';
import type { LlmSettings } from '../model/llmSettings.js';
import { budgetShortfall, type LlmSpend } from '../llm/budget.js';
import { fitPrompt, type CandidateFile, type FittedPrompt } from '../llm/fitPrompt.js';
import { DEFAULT_PRICES, costUsd, priceFor } from '../llm/prices.js';
import { countLines, RESPONSE_JSON_SCHEMA } from '../llm/prompts/phasePrompt.js';
import { tokenCounterFor, upperBoundCounterFor, type TokenCounter } from '../llm/tokenCount.js';
import type { LLMAttempt, LLMClient, LLMResponse } from '../llm/types.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

export interface CallLlmDeps extends EffectRuntime {
  llmClient: LLMClient;
  repoRoot: string;
  llm: LlmSettings;
  /** What the run has spent on the model so far, as its log records it. */
  spent: () => LlmSpend;
  onLlmAttempt: (phaseIndex: number, attempt: number, call: LoggedLlmAttempt) => void;
  /** Stops the run resumably (not a phase failure); the effect's own outcome is then never delivered. */
  interrupt: (reason: InterruptReason, message: string) => void;
}

/**
 * The file's text, or null when there is none to show (absent, or not a regular file). Synchronous: small
 * reads are several times cheaper than a round trip through the thread pool. A file that is there but
 * cannot be read fails the call: leaving a deliverable out of the prompt would have the model rewrite it blind.
 */
function readIfFile(repoRoot: string, relative: string, role: 'deliverable' | 'context file'): string | null {
  try {
    const absolutePath = path.resolve(repoRoot, relative);
    // A deliverable not written yet is the common case: answered without building an error.
    return fs.statSync(absolutePath, { throwIfNoEntry: false })?.isFile() === true ? fs.readFileSync(absolutePath, 'utf8') : null;
  } catch (error) {
    if (isAbsent(error)) return null;
    throw new AutopackError(
      'FILE_UNREADABLE',
      `cannot read ${relative}, a ${role} of this phase (${osErrorText(error)}); fix it on disk (its permissions, or a symlink on its path), then run the phase again`,
      { cause: error },
    );
  }
}

/** The deliverables that already exist (required), then the phase's context files in priority order. */
function gatherCandidates(repoRoot: string, input: CallLlmInput): { candidates: CandidateFile[]; missing: string[] } {
  const candidates: CandidateFile[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const wanted = [
    ...input.spec.deliverables.map((p) => ({ path: p, required: true })),
    ...input.contextFiles.map((p) => ({ path: p, required: false })),
  ];
  for (const { path: relative, required } of wanted) {
    if (seen.has(relative)) continue;
    seen.add(relative);
    const content = readIfFile(repoRoot, relative, required ? 'deliverable' : 'context file');
    if (content !== null) candidates.push({ path: relative, content, required });
    else if (!required) missing.push(relative);
  }
  return { candidates, missing };
}

/** The fitted prompt when every file went in whole; null when something had to be cut or did not fit. */
function fitsWhole(fit: () => FittedPrompt): FittedPrompt | null {
  try {
    const fitted = fit();
    return fitted.context.some((c) => c.cut !== undefined) ? null : fitted;
  } catch (error) {
    if (error instanceof AutopackError && error.code === 'PROMPT_TOO_LARGE') return null;
    throw error;
  }
}

export function fromCallLlm(deps: CallLlmDeps) {
  const prices = { ...DEFAULT_PRICES, ...deps.llm.prices };
  const model = deps.llmClient.model;
  const price = priceFor(model, prices);
  return fromEffect<CallLlmInput, CallLlmOutput>(deps, {
    name: 'callLlm',
    failureCode: 'LLM_FAILED',
    retryable: true,
    cancellable: true,
    run: async (input, signal) => {
      const { candidates, missing } = gatherCandidates(deps.repoRoot, input);
      const maxPromptTokens = deps.llm.maxPromptTokens;
      const maxOutputTokens = deps.llm.outputTokens[input.spec.complexity];
      // As the run recorded them (docs/edits.md); a log from before edits existed asked for whole files in JSON.
      const answerFormat = deps.llm.answerFormat ?? 'json';
      // Counted from the whole file, for the edit threshold: the prompt may show it cut short.
      const lineCounts = new Map<string, number>(candidates.map((c) => [c.path, countLines(c.content)]));
      const fit = (counter: TokenCounter) =>
        fitPrompt({
          base: { spec: input.spec, protectedPaths: input.protectedPaths, previousErrors: input.previousErrors, attempt: input.attempt, editFormat: deps.llm.editFormat ?? 'whole', answerFormat, lineCounts },
          candidates,
          missing,
          maxPromptTokens,
          counter,
        });
      const shortfallOf = (promptTokens: number, outputTokens: number) =>
        budgetShortfall(deps.llm.budget, deps.spent(), { promptTokens, maxOutputTokens: outputTokens, price });
      // Below the budgets by an upper bound, the exact count changes nothing: the tokenizer is skipped.
      let counter = upperBoundCounterFor(model);
      let fitted = fitsWhole(() => fit(counter));
      if (fitted === null || shortfallOf(fitted.promptTokens, maxOutputTokens) !== null) {
        counter = await tokenCounterFor(model);
        fitted = fit(counter);
      }
      const prompt = fitted;
      const refuseOverBudget = (outputTokens: number) => {
        const shortfall = shortfallOf(prompt.promptTokens, outputTokens);
        if (shortfall === null) return;
        deps.interrupt('budget', shortfall);
        throw new AutopackError('BUDGET_EXHAUSTED', shortfall);
      };
      refuseOverBudget(maxOutputTokens);

      let reported = 0;
      const onAttempt = (attempt: LLMAttempt) => {
        reported += 1;
        const attemptPrice = priceFor(attempt.model, prices);
        deps.onLlmAttempt(input.phaseIndex, input.attempt, { ...attempt, costUsd: attemptPrice === null ? null : costUsd(attemptPrice, attempt.usage) });
      };
      const startedAt = performance.now();
      const latencyMs = () => Math.round(performance.now() - startedAt);
      // Clients that do not report attempts themselves (scripted, replay, your own) count as one attempt.
      const reportWhole = (fields: Pick<LLMAttempt, 'outcome' | 'usage'> & Partial<LLMAttempt>) => {
        if (reported === 0) {
          onAttempt({ number: 1, model: model ?? 'unknown', maxOutputTokens, structuredOutput: false, latencyMs: latencyMs(), ...fields });
        }
      };
      let response: LLMResponse;
      try {
        response = await deps.llmClient.complete({
          messages: prompt.prompt.messages,
          maxOutputTokens,
          ...(answerFormat === 'json' ? { responseFormat: { type: 'json_schema', name: 'phase_changes', schema: RESPONSE_JSON_SCHEMA } } : {}),
          signal,
          onAttempt,
          beforeExtraAttempt: refuseOverBudget,
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        reportWhole({ outcome: 'error', usage: { promptTokens: 0, completionTokens: 0 }, message });
        throw error;
      }
      reportWhole({
        outcome: response.finishReason === 'length' ? 'truncated' : 'ok',
        usage: response.usage,
        ...(response.model === undefined ? {} : { model: response.model }),
      });
      return {
        request: {
          promptId: prompt.prompt.id,
          promptVersion: prompt.prompt.version,
          messages: prompt.prompt.messages,
          maxOutputTokens,
          promptTokens: prompt.promptTokens,
          maxPromptTokens,
          tokenizer: counter.name,
        },
        response,
        latencyMs: latencyMs(),
        context: prompt.context,
      };
    },
  });
}
