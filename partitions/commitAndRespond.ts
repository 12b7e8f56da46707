import { applyBatchWithRecovery } from '../src/ledger/applyBatchWithRecovery.js';
import type { BatchCounters } from '../src/ledger/batchCounters.js';
import type { LedgerContext } from '../src/ledger/ledgerContext.js';
import type { LedgerOperation } from '../src/ledger/operations.js';
import { respondTo, type WriteResponse } from '../src/http/writeResponses.js';

export interface CommittedAnswers {
  answers: WriteResponse[];
  /** The writer's counters after this batch, for the metrics of the thread that serves HTTP. */
  counters: BatchCounters;
}

/**
 * Commits a batch and renders each outcome as its HTTP answer on the same thread: in worker mode
 * the main thread receives strings it sends as they are (a string is cheap to pass between threads,
 * and the outcome's rows never cross).
 */
export async function commitAndRespond(context: LedgerContext, operations: LedgerOperation[]): Promise<WriteResponse[]> {
  const outcomes = await applyBatchWithRecovery(context, operations);
  return outcomes.map(respondTo);
}

/** commitAndRespond, with the writer's counters after the batch. */
export async function commitAndReport(context: LedgerContext, operations: LedgerOperation[]): Promise<CommittedAnswers> {
  const answers = await commitAndRespond(context, operations);
  return { answers, counters: { ...context.counters } };
}
