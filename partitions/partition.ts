import type { LedgerOperation, OperationResult } from '../src/ledger/operations.js';
import { rejected } from '../src/ledger/results.js';

// One partition: a single writer that queues its operations in arrival order and commits them in
// batches, one database transaction each. Group commit without timers: an idle partition commits
// a lone operation at once; while a batch commits, new operations queue for the next one.

/** Commits one batch (on this thread or in a worker); one result per operation, in order. */
export type CommitBatchFunction = (operations: LedgerOperation[]) => Promise<OperationResult[]>;

interface Queued {
  operation: LedgerOperation;
  resolve: (result: OperationResult) => void;
}

export class Partition {
  private queue: Queued[] = [];
  private committing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly commitBatch: CommitBatchFunction,
    private readonly batchMax: number,
    private readonly queueMax: number,
    private readonly onUnexpectedError: (error: unknown) => void,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  submit(operation: LedgerOperation): Promise<OperationResult> {
    if (this.closed) return Promise.resolve(rejected('service_unavailable', 'The service is shutting down; retry with the same Idempotency-Key'));
    if (this.queue.length >= this.queueMax) {
      return Promise.resolve(rejected('overloaded', 'Too many operations are queued; retry shortly with the same Idempotency-Key'));
    }
    const result = new Promise<OperationResult>((resolve) => this.queue.push({ operation, resolve }));
    this.committing ??= this.drain();
    return result;
  }

  /** Takes no more operations; resolves when every queued one has its answer. */
  async close(): Promise<void> {
    this.closed = true;
    await this.committing;
  }

  private async drain(): Promise<void> {
    try {
      let batch = this.queue.splice(0, this.batchMax);
      let committing = this.commit(batch);
      for (;;) {
        const results = await committing;
        const answer = answerer(batch, results);
        batch = this.queue.splice(0, this.batchMax);
        if (batch.length === 0) return answer();
        committing = this.commit(batch);
        // The next batch goes out first: answering the last one (serializing and writing every
        // reply) then overlaps its round trip instead of delaying it.
        setImmediate(answer);
      }
    } finally {
      this.committing = undefined;
    }
  }

  private async commit(batch: Queued[]): Promise<OperationResult[]> {
    try {
      return await this.commitBatch(batch.map((queued) => queued.operation));
    } catch (error) {
      // commitBatch answers every failure it knows (a dead worker is one it cannot); callers still get an answer.
      this.onUnexpectedError(error);
      return batch.map(() => rejected('internal_error', 'The operation failed and was not applied'));
    }
  }
}

function answerer(batch: Queued[], results: OperationResult[]): () => void {
  return () => batch.forEach((queued, index) => queued.resolve(results[index]!));
}
