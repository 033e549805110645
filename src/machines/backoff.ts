/** Delay before retry number `retry` (1-based): exponential, capped. Pure so it can be property-tested. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, multiplier: 2 };

export function backoffDelayMs(retry: number, policy: BackoffPolicy): number {
  if (retry < 1) return 0;
  const uncapped = policy.initialMs * policy.multiplier ** (retry - 1);
  // The cap also guards against Infinity for large retry numbers.
  return Math.min(policy.maxMs, Number.isFinite(uncapped) ? uncapped : policy.maxMs);
}
