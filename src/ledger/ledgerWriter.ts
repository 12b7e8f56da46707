import type { LedgerOperation } from './operations.js';

/**
 * Where the HTTP layer hands writes: the partitions, or anything else that applies batches. Each
 * operation's outcome comes back as the `Answer` its channel renders (src/http/writeResponses.ts).
 */
export interface LedgerWriter<Answer> {
  submit(operation: LedgerOperation): Promise<Answer>;
  /** Stops taking operations, answers every queued one, then resolves. */
  close(): Promise<void>;
}
