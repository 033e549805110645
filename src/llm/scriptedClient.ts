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

const ContentStepSchema = z.strictObject({ content: z.string(), ...AnswerFields });
/** The answer as an object, stringified for you: convenient in hand-written scripts. */
const ResponseStepSchema = z.strictObject({ response: ModelResponseSchema, ...AnswerFields });
const ErrorStepSchema = z.strictObject({ error: z.strictObject({ message: z.string(), status: z.number().int().optional() }) });

export const ScriptedStepSchema = z.union([ContentStepSchema, ResponseStepSchema, ErrorStepSchema]);
export type ScriptedStep = z.input<typeof ScriptedStepSchema>;

/** Picks the step kind by its key, so an error names the wrong field rather than "invalid input". */
function stepSchemaFor(step: unknown) {
  if (typeof step === 'object' && step !== null) {
    if ('error' in step) return ErrorStepSchema;
    if ('response' in step) return ResponseStepSchema;
  }
  return ContentStepSchema;
}

/** Validates a parsed script file (an array of steps, or `{ "responses": [...] }`), naming the file on error. */
export function loadScript(json: unknown, source: string): ScriptedStep[] {
  const wrapped = typeof json === 'object' && json !== null && !Array.isArray(json);
  const steps: unknown = wrapped ? (json as { responses?: unknown }).responses : json;
  const fail = (detail: string): never => {
    throw new AutopackError('INPUT_INVALID', `${source}: not a valid answer script: ${detail}`);
  };
  if (!Array.isArray(steps)) {
    return fail('expected a list of steps ({content} | {response} | {error}), or {"responses": [...]}');
  }
  return steps.map((step, index) => {
    const parsed = stepSchemaFor(step).safeParse(step);
    if (!parsed.success) fail(formatZodError(parsed.error, `${wrapped ? 'responses' : ''}[${index}]`).split('\n').join('; '));
    return parsed.data as ScriptedStep;
  });
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
