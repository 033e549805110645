import { z } from 'zod';
import { pathTextProblem } from '../validation/changePath.js';

export const ComplexitySchema = z.enum(['low', 'medium', 'high']);
export type Complexity = z.infer<typeof ComplexitySchema>;

/**
 * A repository-relative path as written by a person in a plan, checked when the plan is loaded by the
 * same rule the model's changes are held to (`pathTextProblem`): a plan naming `../etc/passwd` is refused
 * before anything else is looked at. What the disk says (symlinks) is checked later, in validation/.
 */
const RelativePathSchema = z.string().superRefine((raw, ctx) => {
  const problem = pathTextProblem(raw);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(raw)}: ${problem}` });
});

export const PhaseSpecSchema = z.strictObject({
  id: z.string().min(1).optional(),
  description: z.string().min(1, 'describe what the phase must do'),
  category: z.string().min(1),
  complexity: ComplexitySchema,
  acceptance_criteria: z.array(z.string()),
  deliverables: z.array(RelativePathSchema),
  context_files: z.array(RelativePathSchema).optional(),
  protected_paths: z.array(RelativePathSchema).optional(),
  /** A `modify` that removes most of a file is refused unless the phase says this is intended. */
  allow_mass_deletion: z.boolean().optional(),
  /**
   * Stop once the phase's changes pass validation, before anything is written, until a person approves
   * or rejects them (docs/approval.md).
   */
  approval: z.boolean().optional(),
});
export type PhaseSpec = z.infer<typeof PhaseSpecSchema>;
