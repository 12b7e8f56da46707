import { Piscina } from 'piscina';
import { respondTo, type WriteResponse } from '../src/http/writeResponses.js';
import type { LedgerContext } from '../src/ledger/ledgerContext.js';
import type { LedgerWriter } from '../src/ledger/ledgerWriter.js';
import { routingAccountId, type LedgerOperation } from '../src/ledger/operations.js';
import { failed, type Failure } from '../src/ledger/outcomes.js';
import type { BatchCounters } from '../src/ledger/batchCounters.js';
import { commitAndReport, type CommittedAnswers } from './commitAndRespond.js';
import { Partition } from './partition.js';
import type { PartitionTask, PartitionWorkerData } from './partitionWorker.js';

// Routes each operation by a hash of its account to one partition, so that one account's
// operations are always serialized by the same writer, in arrival order. Partitions commit on
// this thread ('inline') or each in its own worker thread ('worker', the default), which also
// plans, encodes, decodes and renders: the main thread gets back the answers to send.

/** Connections per worker: one for the batch's transaction, one for its reads before it. */
const WORKER_POOL_MAX = 2;
const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over the id's characters: routing needs an even spread, not a cryptographic hash. */
export function partitionOf(accountId: string, partitions: number): number {
  let hash = FNV_OFFSET_BASIS;
  for (let index = 0; index < accountId.length; index++) hash = Math.imul(hash ^ accountId.charCodeAt(index), FNV_PRIME);
  return (hash >>> 0) % partitions;
}

export interface PartitionedWriterOptions {
  mode: 'inline' | 'worker';
  partitions: number;
  batchMax: number;
  queueMax: number;
  databaseUrl: string;
  logLevel: string;
  /** Told of each partition's batches, for the metrics. */
  observer?: PartitionObserver;
}

export interface PartitionObserver {
  batchCommitted(partition: number, size: number, seconds: number): void;
  /** The partition's writer counters after a batch (cumulative). */
  countersReported(partition: number, counters: BatchCounters): void;
}

export class PartitionedWriter implements LedgerWriter<WriteResponse> {
  private readonly partitions: Array<Partition<WriteResponse>>;
  private readonly threads: Piscina[] = [];

  constructor(context: LedgerContext, options: PartitionedWriterOptions) {
    const onError = (error: unknown) => context.logger.error({ err: error }, 'batch failed unexpectedly');
    const { observer } = options;
    this.partitions = Array.from({ length: options.partitions }, (_, index) => {
      const commit = options.mode === 'worker'
        ? this.startThread(context, options)
        : (operations: LedgerOperation[]) => commitAndReport(context, operations);
      const applyBatch = async (operations: LedgerOperation[]) => {
        const { answers, counters } = await commit(operations);
        observer?.countersReported(index, counters);
        return answers;
      };
      const onBatch = observer && ((size: number, seconds: number) => observer.batchCommitted(index, size, seconds));
      return new Partition({ applyBatch, answerFailure, batchMax: options.batchMax, queueMax: options.queueMax, onUnexpectedError: onError, onBatch });
    });
  }

  submit(operation: LedgerOperation): Promise<WriteResponse> {
    return this.partitions[partitionOf(routingAccountId(operation), this.partitions.length)]!.submit(operation);
  }

  /** Operations waiting in each partition's queue. */
  queueDepths(): number[] {
    return this.partitions.map((partition) => partition.queued);
  }

  async close(): Promise<void> {
    await Promise.all(this.partitions.map((partition) => partition.close()));
    await Promise.all(this.threads.map(async (thread) => {
      await thread.run({ type: 'close' } satisfies PartitionTask);
      await thread.destroy();
    }));
  }

  /** One Piscina per partition with exactly one thread: piscina has no task-to-thread affinity. */
  private startThread(context: LedgerContext, options: PartitionedWriterOptions): (operations: LedgerOperation[]) => Promise<CommittedAnswers> {
    const { idempotencyTtlMs, routingKeyPrefix } = context.settings;
    const workerData: PartitionWorkerData = {
      databaseUrl: options.databaseUrl,
      poolMax: WORKER_POOL_MAX,
      settings: { idempotencyTtlMs, routingKeyPrefix },
      logLevel: options.logLevel,
    };
    // Under tsx (tests, development) the worker is the .ts source; compiled, it is the .js beside this file.
    const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const thread = new Piscina({
      filename: new URL(`./partitionWorker${extension}`, import.meta.url).href,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      // The worker keeps a pool and timers between tasks: 'async' lets its event loop run meanwhile.
      atomics: 'async',
      workerData,
    });
    this.threads.push(thread);
    return (operations) => thread.run({ type: 'commit', operations } satisfies PartitionTask) as Promise<CommittedAnswers>;
  }
}

function answerFailure(failure: Failure): WriteResponse {
  return respondTo(failed(failure));
}
