import type { HoldRow } from './ledgerRows.js';
import type { BatchPlan } from './planBatch.js';

// Pending holds as this process's confirmed commits left them, so that a partition can decide a
// capture, void or expiry of a hold it created without reading the hold first (applyBatch's one
// round trip). A hold's operations route by its source account, so they reach the partition that
// created it. Only a hint, like CommittedAccounts: the one-round-trip statement locks each hold
// planned against and checks that it is still pending (the only change a pending hold can see is
// leaving pending), so a stale entry costs a round trip, never a wrong decision.

/** Bounded so that memory does not grow with the number of holds. */
const COMMITTED_HOLDS_MAX = 50_000;

export class CommittedHolds {
  /** In order of last write: the first entries are the ones written longest ago. */
  private readonly pending = new Map<string, HoldRow>();

  constructor(private readonly capacity = COMMITTED_HOLDS_MAX) {}

  /** The rows of all of `ids`, or undefined when one is not known as pending. */
  statesOf(ids: readonly string[]): Map<string, HoldRow> | undefined {
    const found = new Map<string, HoldRow>();
    for (const id of ids) {
      const hold = this.pending.get(id);
      if (!hold) return undefined;
      found.set(id, hold);
    }
    return found;
  }

  /** Remembers the holds a committed batch left pending, forgets those it took out of pending. */
  rememberCommit(plan: BatchPlan): void {
    for (const hold of plan.holds) {
      this.pending.delete(hold.id);
      if (hold.status === 'pending') this.pending.set(hold.id, hold);
    }
    for (const id of this.pending.keys()) {
      if (this.pending.size <= this.capacity) break;
      this.pending.delete(id);
    }
  }

  forget(ids: readonly string[]): void {
    for (const id of ids) this.pending.delete(id);
  }
}
