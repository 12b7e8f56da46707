/**
 * How a writer's batches went, counted where they run (in worker mode, the partition's thread)
 * and reported with each batch's answers, so that the metrics on the main thread can read them.
 */
export interface BatchCounters {
  /** Batches committed as one statement, planned against remembered rows. */
  oneRoundTrip: number;
  /** Batches committed with a lock read first (new accounts, replays, stale remembered rows). */
  twoRoundTrips: number;
  /** Whole-batch attempts repeated after a transient failure. */
  retries: number;
  /** Batches halved to find the one operation that fails. */
  splits: number;
}

export function noBatchesYet(): BatchCounters {
  return { oneRoundTrip: 0, twoRoundTrips: 0, retries: 0, splits: 0 };
}
