import { z } from 'zod';
import { AutopackError } from '../model/errors.js';
import { ModelResponseSchema } from '../model/fileChange.js';
import { formatZodError } from '../model/formatZodError.js';
import type { LLMClient, LLMRequest, LLMResponse } from './types.js';

const UsageSchema = z.strictObject({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
});

const AnswerFields = {
  finishReason: z.string().optional(),
  usage: UsageSchema.optional(),
  model: z.string().optional(),
};

export const ScriptedStepSchema = z.union([
  z.strictObject({ content: z.string(), ...AnswerFields }),
  /** The answer as an object, stringified for you: convenient in hand-written scripts. */
  z.strictObject({ response: ModelResponseSchema, ...AnswerFields }),
  z.strictObject({ error: z.strictObject({ message: z.string(), status: z.number().int().optional() }) }),
]);
export type ScriptedStep = z.input<typeof ScriptedStepSchema>;

const ScriptFileSchema = z.union([z.array(ScriptedStepSchema), z.strictObject({ responses: z.array(ScriptedStepSchema) })]);

/** Validates a parsed script file (an array of steps, or `{ "responses": [...] }`), naming the file on error. */
export function loadScript(json: unknown, source: string): ScriptedStep[] {
  const parsed = ScriptFileSchema.safeParse(json);
  if (!parsed.success) {
    // Report against the shape people usually mean: a list of answers.
    const asList = z.array(ScriptedStepSchema).safeParse(Array.isArray(json) ? json : (json as { responses?: unknown } | null)?.responses);
    const detail = asList.success ? formatZodError(parsed.error) : formatZodError(asList.error, Array.isArray(json) ? '' : 'responses');
    throw new AutopackError(
      'INPUT_INVALID',
      `${source}: not a valid answer script (expected a list of {content} | {response} | {error} steps): ${detail.split('\n').join('; ')}`,
    );
  }
  return Array.isArray(parsed.data) ? parsed.data : parsed.data.responses;
}

/** Without recorded usage, tokens are estimated at four characters each (a common rule of thumb for English and code). */
const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

function abortError(): Error {
  const error = new Error('the request was aborted');
  error.name = 'AbortError';
  return error;
}

/** Serves given answers or errors in order; for tests and offline examples. Records every request. */
export class ScriptedLLMClient implements LLMClient {
  readonly requests: LLMRequest[] = [];
  private readonly steps: ScriptedStep[];
  private next = 0;

  constructor(steps: readonly ScriptedStep[]) {
    this.steps = [...steps];
  }

  get remaining(): number {
    return this.steps.length - this.next;
  }

  async complete(request: LLMRequest): Promise<LLMResponse> {
    if (request.signal?.aborted) throw abortError();
    this.requests.push(request);
    const step = this.steps[this.next];
    if (step === undefined) {
      throw new Error(`the scripted model has no answer left: it had ${this.steps.length} and this is request ${this.next + 1}`);
    }
    this.next += 1;
    if ('error' in step) {
      throw Object.assign(new Error(step.error.message), step.error.status === undefined ? {} : { status: step.error.status });
    }
    const content = 'content' in step ? step.content : JSON.stringify(step.response);
    const promptChars = request.messages.reduce((n, m) => n + m.content.length, 0);
    return {
      content,
      finishReason: step.finishReason ?? 'stop',
      usage: step.usage ?? { promptTokens: Math.ceil(promptChars / 4), completionTokens: estimateTokens(content) },
      ...(step.model === undefined ? {} : { model: step.model }),
    };
  }
}
