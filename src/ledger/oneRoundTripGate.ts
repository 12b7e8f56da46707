// Whether a partition should try the one-round-trip batch (applyBatch). Another writer of the
// same accounts (a second replica, another partition) makes the rows a partition remembers stale,
// and a stale attempt costs three round trips (the attempt, then the batch's usual two) instead of
// two. So the attempt pays while fewer than half fall back. When recent attempts keep falling
// back, the gate closes: batches take two round trips at once, except one probe in PROBE_EVERY,
// and the first probe that commits opens it again.

/** Weight of the latest attempt in the moving average: about the last ten count. */
const WEIGHT = 0.1;
/** Below the break-even share of one half, since a failed attempt also costs CPU. */
const CLOSE_ABOVE = 0.4;
const PROBE_EVERY = 16;

export class OneRoundTripGate {
  committed = 0;
  fellBack = 0;
  private staleShare = 0;
  private passedBy = 0;

  /** Whether the next batch that could take one round trip should try. */
  admits(): boolean {
    if (this.staleShare <= CLOSE_ABOVE) return true;
    this.passedBy = (this.passedBy + 1) % PROBE_EVERY;
    return this.passedBy === 0;
  }

  recordCommitted(): void {
    this.committed++;
    this.staleShare = Math.min(this.staleShare * (1 - WEIGHT), CLOSE_ABOVE);
  }

  recordFellBack(): void {
    this.fellBack++;
    this.staleShare = this.staleShare * (1 - WEIGHT) + WEIGHT;
  }
}
