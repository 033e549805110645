import { z } from 'zod';

export const ComplexitySchema = z.enum(['low', 'medium', 'high']);
export type Complexity = z.infer<typeof ComplexitySchema>;

/** A repository-relative path as written by a person in a plan; the safety checks in validation/ still apply. */
const RelativePathSchema = z
  .string()
  .min(1, 'expected a non-empty relative path')
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p) && !p.startsWith('\\\\'), {
    error: (issue) => `expected a relative path, got ${JSON.stringify(issue.input)}`,
  });

export const PhaseSpecSchema = z.strictObject({
  id: z.string().min(1).optional(),
  description: z.string().min(1, 'describe what the phase must do'),
  category: z.string().min(1),
  complexity: ComplexitySchema,
  acceptance_criteria: z.array(z.string()),
  deliverables: z.array(RelativePathSchema),
  context_files: z.array(RelativePathSchema).optional(),
  protected_paths: z.array(z.string().min(1)).optional(),
  /** A `modify` that removes most of a file is refused unless the phase says this is intended. */
  allow_mass_deletion: z.boolean().optional(),
});
export type PhaseSpec = z.infer<typeof PhaseSpecSchema>;
