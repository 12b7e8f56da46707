import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelayMs, type BackoffPolicy } from '../backoff.js';
import { classifyDatabaseError, isTransient } from '../db/sqlstate.js';
import { applyBatch, CommitOutcomeUnknownError } from './applyBatch.js';
import type { LedgerContext } from './ledgerContext.js';
import type { LedgerOperation } from './operations.js';
import { failed, type LedgerOutcome } from './outcomes.js';
import { findCommitMarker } from './sql/findCommitMarker.js';

// Applies a batch with the failure policy around applyBatch, so that every operation gets an
// answer: retry what can succeed on a second run, resolve a commit whose outcome is unknown before
// answering, and split a batch that fails for a reason of its own so that only the guilty operation
// fails. A batch never half-commits: applyBatch is all or nothing.

const ATTEMPTS_MAX = 6;
/** Short: the usual causes (a deadlock, a key another writer just stored) clear within milliseconds. */
const RETRY_BACKOFF: BackoffPolicy = { baseMs: 10, maxMs: 1_000 };
const RESOLVE_ATTEMPTS_MAX = 20;
const RESOLVE_DELAY_MS = 250;

export async function applyBatchWithRecovery(context: LedgerContext, operations: readonly LedgerOperation[]): Promise<LedgerOutcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyBatch(context, operations);
    } catch (error) {
      if (error instanceof CommitOutcomeUnknownError) {
        const committed = await resolveCommit(context, error);
        if (committed === true) return error.results;
        if (committed === undefined) return operations.map(() => failed('outcome_unknown'));
        continue;
      }
      const failure = classifyDatabaseError(error);
      const retryable = isTransient(failure) || failure.kind === 'unique_violation' || failure.kind === 'idempotency_race';
      if (retryable && attempt < ATTEMPTS_MAX) {
        context.counters.retries++;
        await sleep(backoffDelayMs(attempt, RETRY_BACKOFF));
        continue;
      }
      if (failure.kind === 'connection_lost') return operations.map(() => failed('not_applied'));
      return splitOrFail(context, operations, error);
    }
  }
}

/** True when the batch committed, false when it did not, undefined when the database cannot say. */
async function resolveCommit(context: LedgerContext, error: CommitOutcomeUnknownError): Promise<boolean | undefined> {
  context.logger.warn({ err: error.cause }, 'connection lost during the commit; resolving the outcome');
  for (let attempt = 1; attempt <= RESOLVE_ATTEMPTS_MAX; attempt++) {
    try {
      return await findCommitMarker(context.pool, error.marker);
    } catch {
      await sleep(RESOLVE_DELAY_MS);
    }
  }
  return undefined;
}

async function splitOrFail(context: LedgerContext, operations: readonly LedgerOperation[], error: unknown): Promise<LedgerOutcome[]> {
  if (operations.length === 1) {
    context.logger.error({ err: error }, 'an operation failed with an unexpected database error');
    return [failed('unexpected_error')];
  }
  // Halves run one after the other, which keeps each account's operations in arrival order.
  context.counters.splits++;
  const middle = Math.ceil(operations.length / 2);
  const first = await applyBatchWithRecovery(context, operations.slice(0, middle));
  const second = await applyBatchWithRecovery(context, operations.slice(middle));
  return [...first, ...second];
}
