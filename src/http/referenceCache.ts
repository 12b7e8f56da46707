// The accounts of holds and transactions, which never change once written: a capture, void or
// reversal must reach the writer of the account it debits before anything is locked, so the route
// reads them first, and remembers them so that repeated operations on one hold or transaction read
// them once. Correctness never depends on it: the write path reads the hold or transaction again
// under its locks.

/** Enough for the holds and transactions in play at once; cleared whole when full. */
const REFERENCES_MAX = 100_000;

export interface ReferencedAccounts {
  sourceAccountId: string;
  destinationAccountId: string;
}

export class ReferenceCache {
  private readonly known = new Map<string, ReferencedAccounts>();

  async accountsOf(id: string, read: (id: string) => Promise<ReferencedAccounts | undefined>): Promise<ReferencedAccounts | undefined> {
    const cached = this.known.get(id);
    if (cached) return cached;
    const found = await read(id);
    if (found) this.remember(id, found);
    return found;
  }

  /** Remembers what this process just wrote, so that the next operation on it reads nothing. */
  remember(id: string, accounts: ReferencedAccounts): void {
    if (this.known.size >= REFERENCES_MAX) this.known.clear();
    this.known.set(id, accounts);
  }
}
