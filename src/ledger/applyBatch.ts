import { isServerError } from '../db/sqlstate.js';
import { settlementAccountId } from '../ids.js';
import type { LedgerContext } from './ledgerContext.js';
import { rememberAccounts } from './ledgerContext.js';
import { namedAccountIds, type LedgerOperation, type OperationResult } from './operations.js';
import { planBatch, type BatchPlan } from './planBatch.js';
import { rejected } from './results.js';
import { ensureSettlementAccounts } from './sql/ensureSettlementAccounts.js';
import type { CommitMarker } from './sql/findCommitMarker.js';
import { lockAccounts } from './sql/lockAccounts.js';
import { readAccountKinds } from './sql/readAccountKinds.js';
import { readIdempotencyKeys } from './sql/readIdempotencyKeys.js';
import { readTakenExternalRefs } from './sql/readTakenExternalRefs.js';
import { writeBatch } from './sql/writeBatch.js';

// Applies a batch of operations in one database transaction: replays first, then locks, decides
// and writes. Each operation gets its own result; a rejected one never aborts its batch-mates.

/** Another writer stored an outcome under one of our keys first; running the batch again replays it. */
export class IdempotencyRaceError extends Error {}

/** The connection failed while COMMIT was in flight: the batch may or may not have committed. */
export class CommitOutcomeUnknownError extends Error {
  constructor(
    readonly marker: CommitMarker,
    readonly results: OperationResult[],
    override readonly cause: unknown,
  ) {
    super('connection lost during COMMIT');
  }
}

export async function applyBatch(context: LedgerContext, operations: readonly LedgerOperation[]): Promise<OperationResult[]> {
  const now = context.clock.now();
  const results: Array<OperationResult | undefined> = await replayStoredOutcomes(context, operations, now);
  const pending = operations.filter((_, index) => results[index] === undefined);
  if (pending.length > 0) {
    const decided = await decideAndWrite(context, pending, now);
    let next = 0;
    for (let index = 0; index < results.length; index++) results[index] ??= decided[next++];
  }
  return results as OperationResult[];
}

async function replayStoredOutcomes(context: LedgerContext, operations: readonly LedgerOperation[], now: Date) {
  const keys = operations.flatMap((operation) => (operation.idempotency ? [operation.idempotency.key] : []));
  const stored = keys.length ? await readIdempotencyKeys(context.pool, keys, now) : new Map();
  return operations.map((operation): OperationResult | undefined => {
    const outcome = operation.idempotency && stored.get(operation.idempotency.key);
    if (!outcome) return undefined;
    if (outcome.fingerprint !== operation.idempotency!.fingerprint) {
      return rejected('idempotency_key_reused', 'This Idempotency-Key was already used for a different request');
    }
    return { statusCode: outcome.statusCode, body: outcome.body, replayed: true };
  });
}

async function decideAndWrite(context: LedgerContext, operations: LedgerOperation[], now: Date): Promise<OperationResult[]> {
  const lockIds = await accountsToLock(context, operations, now);
  const client = await context.pool.connect();
  let plan: BatchPlan | undefined;
  try {
    await client.query('BEGIN');
    const locked = lockIds.length ? await lockAccounts(client, lockIds) : new Map();
    const refs = operations.flatMap((operation) => (operation.kind === 'open_account' && operation.externalRef ? [operation.externalRef] : []));
    const taken = refs.length ? await readTakenExternalRefs(client, refs) : new Set<string>();
    plan = planBatch(operations, locked, taken, now, context.settings);
    const stored = await writeBatch(client, plan);
    if (stored !== plan.idempotencyRows.length) throw new IdempotencyRaceError('an idempotency key was taken concurrently');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    client.release(isServerError(error) || error instanceof IdempotencyRaceError ? undefined : (error as Error));
    throw error;
  }
  try {
    await client.query('COMMIT');
    client.release();
  } catch (error) {
    client.release(error as Error);
    const marker = commitMarker(plan);
    if (marker && !isServerError(error)) throw new CommitOutcomeUnknownError(marker, plan.results, error);
    throw error;
  }
  return plan.results;
}

/** Named accounts that exist, plus the settlement accounts their deposits and withdrawals need. */
async function accountsToLock(context: LedgerContext, operations: LedgerOperation[], now: Date): Promise<string[]> {
  const named = [...new Set(operations.flatMap(namedAccountIds))];
  const unknown = named.filter((id) => !context.knownAccounts.has(id));
  if (unknown.length) rememberAccounts(context, await readAccountKinds(context.pool, unknown));
  const currencies = new Set<string>();
  for (const operation of operations) {
    if (operation.kind !== 'deposit' && operation.kind !== 'withdrawal') continue;
    const account = context.knownAccounts.get(operation.accountId);
    if (account?.kind === 'user') currencies.add(account.currency);
  }
  const missing = [...currencies].filter((currency) => !context.settledCurrencies.has(currency));
  if (missing.length) {
    await ensureSettlementAccounts(context.pool, missing, now);
    for (const currency of missing) context.settledCurrencies.add(currency);
  }
  const existing = named.filter((id) => context.knownAccounts.has(id));
  return [...existing, ...[...currencies].map(settlementAccountId)];
}

function commitMarker(plan: BatchPlan): CommitMarker | undefined {
  const transaction = plan.transactions[0];
  if (transaction) return { table: 'ledger_transactions', id: transaction.id };
  const account = plan.newAccounts[0];
  if (account) return { table: 'accounts', id: account.id };
  const row = plan.idempotencyRows[0];
  if (row) return { table: 'idempotency_keys', key: row.key, fingerprint: row.fingerprint };
  return undefined;
}
