import { z } from 'zod';

/** Limits on a whole run's model use; a run stops (resumably) before a call that could pass them. */
export const RunBudgetSchema = z.strictObject({
  maxTotalTokens: z.number().int().positive().optional(),
  maxCostUsd: z.number().positive().optional(),
});
export type RunBudget = z.infer<typeof RunBudgetSchema>;
