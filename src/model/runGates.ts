import { z } from 'zod';

/** Attempts in a row failing alike that end a phase: 0 (never) or 2 and more, since one failure repeats nothing. */
export const StuckAfterSchema = z
  .number()
  .int('must be a whole number')
  .min(0)
  .max(100)
  .refine((n) => n !== 1, 'must be 0 (off) or at least 2: it counts attempts in a row that fail the same way');
