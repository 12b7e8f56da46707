import { classifyDatabaseError, isTransient } from '../db/sqlstate.js';
import { applyBatch, CommitOutcomeUnknownError } from './applyBatch.js';
import type { LedgerContext } from './ledgerContext.js';
import type { LedgerOperation } from './operations.js';
import { failed, type LedgerOutcome } from './outcomes.js';
import { findCommitMarker } from './sql/findCommitMarker.js';

// The failure policy around applyBatch: retry what can succeed on a second run, resolve a commit
// whose outcome is unknown before answering, and split a batch that fails for a reason of its own
// so that only the guilty operation fails. A batch never half-commits: applyBatch is all or nothing.

const ATTEMPTS_MAX = 6;
const RETRY_DELAY_BASE_MS = 20;
const RESOLVE_ATTEMPTS_MAX = 20;
const RESOLVE_DELAY_MS = 250;

export async function commitBatch(context: LedgerContext, operations: readonly LedgerOperation[]): Promise<LedgerOutcome[]> {
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
        await delay(RETRY_DELAY_BASE_MS * 2 ** (attempt - 1) * Math.random());
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
      await delay(RESOLVE_DELAY_MS);
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
  const middle = Math.ceil(operations.length / 2);
  const first = await commitBatch(context, operations.slice(0, middle));
  const second = await commitBatch(context, operations.slice(middle));
  return [...first, ...second];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
