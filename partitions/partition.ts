import type { LedgerOperation } from '../src/ledger/operations.js';
import type { Failure } from '../src/ledger/outcomes.js';

// One partition: a single writer that queues its operations in arrival order and commits them in
// batches, one database transaction each. Group commit without timers: an idle partition commits
// a lone operation at once; while a batch commits, new operations queue for the next one. It hands
// back whatever answer the commit renders (`Answer`), so that the rendering can happen on the
// thread that commits.

/** Commits one batch (on this thread or in a worker); one answer per operation, in order. */
export type ApplyBatchFunction<Answer> = (operations: LedgerOperation[]) => Promise<Answer[]>;

interface Queued<Answer> {
  operation: LedgerOperation;
  resolve: (answer: Answer) => void;
}

/** Told of every batch a partition commits: how many operations, and how long the commit took. */
export type BatchObserver = (size: number, seconds: number) => void;

export interface PartitionOptions<Answer> {
  applyBatch: ApplyBatchFunction<Answer>;
  /** The answer to an operation that the partition itself fails (overloaded, shutting down, a dead worker). */
  answerFailure: (failure: Failure) => Answer;
  batchMax: number;
  queueMax: number;
  onUnexpectedError: (error: unknown) => void;
  onBatch?: BatchObserver;
}

export class Partition<Answer> {
  private queue: Array<Queued<Answer>> = [];
  private committing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: PartitionOptions<Answer>) {}

  /** Operations waiting for a batch (the one committing not counted). */
  get queued(): number {
    return this.queue.length;
  }

  submit(operation: LedgerOperation): Promise<Answer> {
    if (this.closed) return Promise.resolve(this.options.answerFailure('shutting_down'));
    if (this.queue.length >= this.options.queueMax) return Promise.resolve(this.options.answerFailure('overloaded'));
    const answer = new Promise<Answer>((resolve) => this.queue.push({ operation, resolve }));
    this.committing ??= this.drain();
    return answer;
  }

  /** Takes no more operations; resolves when every queued one has its answer. */
  async close(): Promise<void> {
    this.closed = true;
    await this.committing;
  }

  private async drain(): Promise<void> {
    try {
      let batch = this.queue.splice(0, this.options.batchMax);
      let committing = this.commit(batch);
      for (;;) {
        const answers = await committing;
        const answer = answerer(batch, answers);
        batch = this.queue.splice(0, this.options.batchMax);
        if (batch.length === 0) return answer();
        committing = this.commit(batch);
        // The next batch goes out first: answering the last one (writing every reply) then
        // overlaps its round trip instead of delaying it.
        setImmediate(answer);
      }
    } finally {
      this.committing = undefined;
    }
  }

  private async commit(batch: Array<Queued<Answer>>): Promise<Answer[]> {
    const started = performance.now();
    try {
      const answers = await this.options.applyBatch(batch.map((queued) => queued.operation));
      this.options.onBatch?.(batch.length, (performance.now() - started) / 1000);
      return answers;
    } catch (error) {
      // applyBatch answers every failure it knows (a dead worker is one it cannot); callers still get an answer.
      this.options.onUnexpectedError(error);
      return batch.map(() => this.options.answerFailure('unexpected_error'));
    }
  }
}

function answerer<Answer>(batch: Array<Queued<Answer>>, answers: Answer[]): () => void {
  return () => {
    for (const [index, queued] of batch.entries()) queued.resolve(answers[index]!);
  };
}
