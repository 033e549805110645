import { z } from 'zod';
import { RunBudgetSchema } from './budget.js';
import { PriceTableSchema } from '../llm/prices.js';

/** Output limit per phase complexity: whole-file answers grow with the size of the change. */
export const DEFAULT_OUTPUT_TOKENS = { low: 4_096, medium: 8_192, high: 16_384 } as const;
export const DEFAULT_MAX_PROMPT_TOKENS = 200_000;

export const OutputTokensSchema = z.strictObject({
  low: z.number().int().positive(),
  medium: z.number().int().positive(),
  high: z.number().int().positive(),
});

/**
 * How the prompt asks for changes: whole files always, search/replace edits for every existing file, or
 * (`auto`) whole files for new and small files and edits above a line threshold (docs/edits.md).
 */
export const EditFormatSchema = z.enum(['whole', 'edits', 'auto']);
export type EditFormat = z.infer<typeof EditFormatSchema>;

/** What the prompt asks the answer to be written in. The parser accepts both, whatever was asked for. */
export const AnswerFormatSchema = z.enum(['json', 'markdown']);
export type AnswerFormat = z.infer<typeof AnswerFormatSchema>;

/** How a run uses the model; recorded in the log's first event so a resumed run keeps the same limits. */
export const LlmSettingsSchema = z.strictObject({
  maxPromptTokens: z.number().int().positive(),
  outputTokens: OutputTokensSchema,
  budget: RunBudgetSchema,
  /** Overrides and additions to the built-in price table, USD per million tokens. */
  prices: PriceTableSchema,
  /** Absent in logs written before edits existed: those runs asked for whole files in JSON. */
  editFormat: EditFormatSchema.optional(),
  answerFormat: AnswerFormatSchema.optional(),
});
export type LlmSettings = z.infer<typeof LlmSettingsSchema>;
