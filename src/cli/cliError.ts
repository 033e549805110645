import { AutopackError } from '../model/errors.js';

export const EXIT = { ok: 0, phaseFailed: 1, badInput: 2, interrupted: 3, internal: 4, awaitingApproval: 5 } as const;

/** Maps any error to the message and exit code the CLI shows; bad input is 2, anything unexpected 4. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof AutopackError) {
    switch (error.code) {
      case 'PLAN_INVALID':
      case 'INPUT_INVALID':
      case 'RUN_NOT_FOUND':
      case 'RUN_LOCKED':
      case 'MACHINE_VERSION_MISMATCH':
      case 'UNCOMMITTED_CHANGES':
      case 'APPROVAL_NOT_PENDING':
        return EXIT.badInput;
      // A phase's failure: never thrown by a run (it is in the result), but a caller may raise it.
      case 'STUCK':
        return EXIT.phaseFailed;
      case 'ABORTED':
      // Another process took the run over, or it went unrenewed too long: stopped, resumable.
      case 'LEASE_LOST':
        return EXIT.interrupted;
      default:
        return EXIT.internal;
    }
  }
  return EXIT.internal;
}

export function messageFor(error: unknown): string {
  if (error instanceof AutopackError) return error.message;
  if (error instanceof Error) return `unexpected error: ${error.stack ?? error.message}`;
  return `unexpected error: ${String(error)}`;
}
