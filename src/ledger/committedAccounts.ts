import type { AccountState, BatchPlan } from './planBatch.js';

// Account states as this process's confirmed commits left them, so that a partition, the usual
// single writer of its accounts, can plan a batch without reading them first (applyBatch). Only a
// hint: the lock statement compares the balance, version and pending sums of every state planned
// against with the locked row (they are all of an account that ever changes), so a stale entry costs a round
// trip, never a wrong balance. The pending sums are compared too (lock_accounts_as_planned_v2). States are recorded only once the commit answered, so that an entry is
// always a state the database really had. They hold no metadata, so that an account's entry stays
// small whatever the account carries.

/** Bounded so that memory does not grow with the number of accounts. */
const COMMITTED_ACCOUNTS_MAX = 50_000;

export class CommittedAccounts {
  /** In order of last write: the first entries are the ones written longest ago. */
  private readonly states = new Map<string, AccountState>();

  constructor(private readonly capacity = COMMITTED_ACCOUNTS_MAX) {}

  get size(): number {
    return this.states.size;
  }

  /** The states of all of `ids`, or undefined when one is not known. */
  statesOf(ids: readonly string[]): Map<string, AccountState> | undefined {
    const found = new Map<string, AccountState>();
    for (const id of ids) {
      const state = this.states.get(id);
      if (!state) return undefined;
      found.set(id, state);
    }
    return found;
  }

  /** Records the states a batch planned against, as its confirmed commit changed them. */
  rememberCommit(before: ReadonlyMap<string, AccountState>, plan: BatchPlan): void {
    for (const state of before.values()) this.remember(state);
    for (const row of plan.newAccounts) this.remember(row);
    const settings = new Map(plan.accountSettings.map((changed) => [changed.id, changed]));
    for (const update of plan.balanceUpdates) {
      const { balance, version, pendingDebits, pendingCredits } = update;
      const { status, overdraft_limit } = { ...before.get(update.id)!, ...settings.get(update.id) };
      this.remember({
        ...before.get(update.id)!,
        balance,
        version,
        pending_debits: pendingDebits,
        pending_credits: pendingCredits,
        status,
        overdraft_limit,
      });
    }
    // The accounts written longest ago make room.
    for (const id of this.states.keys()) {
      if (this.states.size <= this.capacity) break;
      this.states.delete(id);
    }
  }

  forget(ids: readonly string[]): void {
    for (const id of ids) this.states.delete(id);
  }

  /** Where two writers' commits cross (partitions sharing a row), the newer version wins. */
  private remember({ id, kind, currency, balance, version, pending_debits, pending_credits, status, overdraft_limit }: AccountState): void {
    const known = this.states.get(id);
    // Pending sums change without the version: of equal versions, the later write wins.
    if (known && known.version > version) return;
    this.states.delete(id);
    this.states.set(id, { id, kind, currency, balance, version, pending_debits, pending_credits, status, overdraft_limit });
  }
}
