import type { LedgerOperation, OperationResult } from './operations.js';

/** Where the HTTP layer hands writes: the partitions, or anything else that applies batches. */
export interface LedgerWriter {
  submit(operation: LedgerOperation): Promise<OperationResult>;
  /** Stops taking operations, answers every queued one, then resolves. */
  close(): Promise<void>;
}
