/** How the OpenAI client spaces out retries of transient failures (429, 5xx, lost connections). */
export interface TransientRetryPolicy {
  /** HTTP attempts per request, the first included. */
  maxAttempts: number;
  /** Total time spent waiting between attempts of one request; a wait that would pass it is not made. */
  maxTotalWaitMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_TRANSIENT_RETRY: TransientRetryPolicy = {
  maxAttempts: 6,
  maxTotalWaitMs: 120_000,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
};

/**
 * Exponential backoff with full jitter (a uniformly random wait up to the exponential cap), which spreads
 * out clients that failed together better than a fixed schedule does.
 */
export function jitteredDelayMs(failuresSoFar: number, policy: TransientRetryPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, failuresSoFar - 1));
  return Math.round(random() * cap);
}

/**
 * The wait a server asked for, from `retry-after-ms` (milliseconds, sent by OpenAI) or `retry-after`
 * (seconds or an HTTP date), or null when it asked for none.
 */
export function serverRequestedDelayMs(headers: Headers | undefined, now: number): number | null {
  const millis = headers?.get('retry-after-ms');
  if (millis !== null && millis !== undefined && Number.isFinite(Number.parseFloat(millis))) {
    return Math.max(0, Math.round(Number.parseFloat(millis)));
  }
  const value = headers?.get('retry-after');
  if (value === null || value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
