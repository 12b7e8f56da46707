import type { BatchPlan } from './planBatch.js';
import type { AccountRow } from './resources.js';

// Account rows as this process's confirmed commits left them, so that a partition, the usual
// single writer of its accounts, can plan a batch without reading them first (applyBatch). Only a
// hint: the lock statement compares the balance and version of every row planned against with the
// locked row (they are all of an account that ever changes), so a stale entry costs a round trip,
// never a wrong balance. Rows are recorded only once COMMIT answered, so that an entry is always
// a state the database really had.

/** Bounded so that memory does not grow with the number of accounts; refilled as batches commit. */
const COMMITTED_ACCOUNTS_MAX = 50_000;

export class CommittedAccounts {
  private readonly rows = new Map<string, AccountRow>();

  /** The rows of all of `ids`, or undefined when one is not known. */
  rowsOf(ids: readonly string[]): Map<string, AccountRow> | undefined {
    const found = new Map<string, AccountRow>();
    for (const id of ids) {
      const row = this.rows.get(id);
      if (!row) return undefined;
      found.set(id, row);
    }
    return found;
  }

  /** Records the rows a batch planned against, as its confirmed commit changed them. */
  rememberCommit(before: ReadonlyMap<string, AccountRow>, plan: BatchPlan): void {
    if (this.rows.size + before.size + plan.newAccounts.length > COMMITTED_ACCOUNTS_MAX) this.rows.clear();
    for (const row of before.values()) this.remember(row);
    for (const row of plan.newAccounts) this.remember(row);
    for (const update of plan.balanceUpdates) {
      const row = before.get(update.id)!;
      this.remember({ ...row, balance: update.balance, version: update.version, updated_at: update.updatedAt });
    }
  }

  forget(ids: readonly string[]): void {
    for (const id of ids) this.rows.delete(id);
  }

  /** Where two writers' commits cross (partitions sharing a row), the newer version wins. */
  private remember(row: AccountRow): void {
    const known = this.rows.get(row.id);
    if (!known || known.version < row.version) this.rows.set(row.id, row);
  }
}
