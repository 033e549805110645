import { z } from 'zod';
import { PriceTableSchema } from '../llm/prices.js';
import { AnswerFormatSchema, EditFormatSchema, OutputTokensSchema } from '../model/llmSettings.js';
import { StuckAfterSchema } from '../model/runGates.js';
import { PhaseSpecSchema } from '../model/phaseSpec.js';

/** Plan files use snake_case like the phase specs; `timeout_ms` maps to the API's `timeoutMs`. */
export const PlanHealthCheckSchema = z.strictObject({
  name: z.string().min(1),
  command: z.string().min(1),
  timeout_ms: z.number().int().positive().optional(),
  /** false: the baseline skips this check, so a failure of it is never excused as pre-existing. */
  baseline: z.boolean().optional(),
});

export const PlanSchema = z.strictObject({
  phases: z.array(PhaseSpecSchema).min(1, 'a plan needs at least one phase'),
  health_checks: z.array(PlanHealthCheckSchema).optional(),
  /** Output limit per complexity, e.g. { high: 32000 }; the rest keep their defaults. */
  output_tokens: OutputTokensSchema.partial().optional(),
  /** USD per million tokens by model, e.g. { "llama3.1:8b": { input_per_mtok: 0, output_per_mtok: 0 } }. */
  prices: PriceTableSchema.optional(),
  /**
   * How the run asks for changes (docs/edits.md) and gates its phases (docs/health-checks.md). The flags of
   * `autopack run` override them; a worker running a queued plan takes them from here.
   */
  edit_format: EditFormatSchema.optional(),
  answer_format: AnswerFormatSchema.optional(),
  stuck_after: StuckAfterSchema.optional(),
  baseline: z.boolean().optional(),
});
export type Plan = z.infer<typeof PlanSchema>;
