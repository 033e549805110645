import { z } from 'zod';

/** Where a decision was made: `autopack approve`/`reject`, the inline prompt of `autopack run`, the inspector, or the API. */
export const ApprovalSourceSchema = z.enum(['cli', 'terminal', 'inspector', 'api']);
export type ApprovalSource = z.infer<typeof ApprovalSourceSchema>;

/**
 * A person's answer to a phase's approval request, for one attempt of it: a decision about attempt 2 is
 * never read as one about attempt 3, whose proposal the person has not seen.
 */
export const ApprovalDecisionSchema = z
  .strictObject({
    phaseIndex: z.number().int().nonnegative(),
    attempt: z.number().int().positive(),
    approved: z.boolean(),
    /** Why it was rejected, fed to the model as the attempt's error; null when approved without comment. */
    feedback: z.string().nullable(),
    /** Who decided (user@host, or what the caller passed). */
    by: z.string().min(1),
    via: ApprovalSourceSchema,
    /** Epoch ms. */
    at: z.number(),
  })
  .refine((d) => d.approved || (d.feedback !== null && d.feedback.trim() !== ''), {
    message: 'a rejection needs feedback: say what the model should change',
    path: ['feedback'],
  });
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

/** What a granted gate logs (`approval.granted`): who let the changes through, when and how. */
export interface ApprovalGranted {
  by: string;
  via: ApprovalSource;
  decidedAt: number;
  feedback: string | null;
}

/**
 * A rejection is the gate's failure (APPROVAL_REJECTED): its error is what the next attempt is told, and
 * its `detail` says who decided, as this JSON, so the log keeps who and when for a rejection too.
 */
export const RejectionDetailSchema = z.object({ by: z.string(), via: ApprovalSourceSchema, decidedAt: z.number(), feedback: z.string() });
export type RejectionDetail = z.infer<typeof RejectionDetailSchema>;

/** The rejection recorded in a failure's detail, or null when the detail is not one (a cancelled wait). */
export function rejectionOf(detail: string | undefined): RejectionDetail | null {
  if (detail === undefined) return null;
  try {
    return RejectionDetailSchema.safeParse(JSON.parse(detail)).data ?? null;
  } catch {
    return null;
  }
}

/** The error a rejection gives the attempt: the model reads it as the reason its answer was not used. */
export const rejectionError = (decision: { by: string; feedback: string | null }): string =>
  `a reviewer (${decision.by}) rejected these changes: ${decision.feedback ?? ''}`;
