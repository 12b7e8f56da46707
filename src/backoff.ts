// How long to wait before trying again after failures in a row: exponential backoff with full
// jitter, so that callers that failed together (an outage, a lock conflict) do not all come back together.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * The delay after the `attempts`-th failure in a row (1 for the first): uniform between `baseMs`
 * and min(maxMs, baseMs * 2^attempts). Never below baseMs, so a retry never hammers what failed.
 */
export function backoffDelayMs(attempts: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be an integer >= 1, got ${attempts}`);
  const floorMs = Math.min(policy.baseMs, policy.maxMs);
  // 2^attempts overflows to Infinity for large attempt counts; min() then picks maxMs, as wanted.
  const ceilingMs = Math.max(floorMs, Math.min(policy.maxMs, policy.baseMs * 2 ** attempts));
  return Math.round(floorMs + random() * (ceilingMs - floorMs));
}
