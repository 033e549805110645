import { z } from 'zod';
import { AutopackError } from '../model/errors.js';
import { formatZodError } from '../model/formatZodError.js';
import { AnswerFormatSchema, EditFormatSchema, type AnswerFormat, type EditFormat } from '../model/llmSettings.js';

/** `maxRetries` as typed on the command line: `--max-retries`. */
export const kebab = (name: string): string => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Validates parsed CLI flags, naming each bad one as the user typed it (`--max-retries: …`). */
export function parseFlags<S extends z.ZodType>(schema: S, flags: unknown): z.output<S> {
  const parsed = schema.safeParse(flags);
  if (!parsed.success) {
    const message = formatZodError(parsed.error).replace(/^(\w+):/gm, (_, name: string) => `${kebab(name)}:`);
    throw new AutopackError('INPUT_INVALID', message);
  }
  return parsed.data;
}

/** How to reach the model; recorded in the run's log (never a key) so `resume` can reconnect. */
export const LlmConnectionFlagsSchema = z.object({
  llm: z.string().optional(),
  baseUrl: z.url({ error: 'expected a URL such as http://127.0.0.1:11434/v1' }).optional(),
  model: z.string().min(1).optional(),
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name such as MY_OPENAI_KEY').optional(),
  record: z.string().min(1).optional(),
  requestTimeout: z.coerce.number().positive('must be a number of seconds above 0').optional(),
});
export type LlmConnectionFlags = z.output<typeof LlmConnectionFlagsSchema>;

export const BudgetFlagsSchema = z.object({
  maxTotalTokens: z.coerce.number().int('must be a whole number').positive().optional(),
  maxCostUsd: z.coerce.number().positive('must be an amount in USD above 0').optional(),
});

/** --edit-format and --answer-format: how the prompt asks for changes (docs/edits.md). */
export const FormatFlagsSchema = z.object({
  editFormat: z.enum(EditFormatSchema.options, { error: `expected one of ${EditFormatSchema.options.join(', ')}` }).optional(),
  answerFormat: z.enum(AnswerFormatSchema.options, { error: `expected one of ${AnswerFormatSchema.options.join(', ')}` }).optional(),
});

/** Only the format flags that were given, as PhaseExecutor options. */
export function formatsFrom(flags: z.infer<typeof FormatFlagsSchema>): { editFormat?: EditFormat; answerFormat?: AnswerFormat } {
  return {
    ...(flags.editFormat === undefined ? {} : { editFormat: flags.editFormat }),
    ...(flags.answerFormat === undefined ? {} : { answerFormat: flags.answerFormat }),
  };
}

export const DurabilityFlagSchema = z.object({
  durability: z.enum(['normal', 'full'], { error: 'expected normal or full' }).default('normal'),
});

/** Only the flags that were given, as plain data for the log. */
export function givenConnection(flags: LlmConnectionFlags): Record<string, string | number> {
  return Object.fromEntries(Object.entries(flags).filter((entry): entry is [string, string | number] => entry[1] !== undefined));
}

export function budgetFrom(flags: z.output<typeof BudgetFlagsSchema>): { maxTotalTokens?: number; maxCostUsd?: number } {
  return {
    ...(flags.maxTotalTokens === undefined ? {} : { maxTotalTokens: flags.maxTotalTokens }),
    ...(flags.maxCostUsd === undefined ? {} : { maxCostUsd: flags.maxCostUsd }),
  };
}
