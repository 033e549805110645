import { z } from 'zod';

export const HealthCheckSpecSchema = z.strictObject({
  name: z.string().min(1),
  /** Run by /bin/sh in the repository root; passes on exit code 0. */
  command: z.string().min(1),
  timeoutMs: z.number().int().positive().optional(),
  /**
   * Whether the run's baseline takes this check (default true). False for a check that tests what the run
   * builds: it fails before the run by design, and must still fail a phase that breaks it (docs/health-checks.md).
   */
  baseline: z.boolean().optional(),
});
export type HealthCheckSpec = z.infer<typeof HealthCheckSpecSchema>;

export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 120_000;
