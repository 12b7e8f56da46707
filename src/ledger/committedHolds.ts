import type { HoldRow } from './ledgerRows.js';
import type { BatchPlan } from './planBatch.js';

// Pending holds as this process's confirmed commits left them, so that a partition can decide a
// capture, void or expiry of a hold it created without reading the hold first (applyBatch's one
// round trip). A hold's operations route by its source account, so they reach the partition that
// created it. Only a hint, like CommittedAccounts: the one-round-trip statement locks each hold
// planned against and checks that it is still pending (the only change a pending hold can see is
// leaving pending), so a stale entry costs a round trip, never a wrong decision. When a batch
// reads its accounts afresh (another writer changed them), the holds remembered on those accounts
// are forgotten too: the account's fresh pending sums no longer include what another writer
// captured or voided, and planning against both would not add up.

/** Bounded so that memory does not grow with the number of holds. */
const COMMITTED_HOLDS_MAX = 50_000;

export class CommittedHolds {
  /** In order of last write: the first entries are the ones written longest ago. */
  private readonly pending = new Map<string, HoldRow>();
  /** Account id to the ids of the remembered holds it is the source or destination of. */
  private readonly byAccount = new Map<string, Set<string>>();

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
    for (const hold of [...plan.newHolds, ...plan.changedHolds]) {
      this.remove(hold.id);
      if (hold.status === 'pending') this.add(hold);
    }
    for (const id of this.pending.keys()) {
      if (this.pending.size <= this.capacity) break;
      this.remove(id);
    }
  }

  forget(ids: readonly string[]): void {
    for (const id of ids) this.remove(id);
  }

  /** Forgets every remembered hold that has one of `accountIds` as its source or destination. */
  forgetHoldsOf(accountIds: Iterable<string>): void {
    for (const accountId of accountIds) {
      for (const id of this.byAccount.get(accountId) ?? []) this.remove(id);
    }
  }

  private add(hold: HoldRow): void {
    this.pending.set(hold.id, hold);
    for (const accountId of [hold.source_account_id, hold.destination_account_id]) {
      const ids = this.byAccount.get(accountId) ?? new Set<string>();
      ids.add(hold.id);
      this.byAccount.set(accountId, ids);
    }
  }

  private remove(id: string): void {
    const hold = this.pending.get(id);
    if (!hold) return;
    this.pending.delete(id);
    for (const accountId of [hold.source_account_id, hold.destination_account_id]) {
      const ids = this.byAccount.get(accountId);
      ids?.delete(id);
      if (ids?.size === 0) this.byAccount.delete(accountId);
    }
  }
}
