import type pg from 'pg';
import { isServerError } from '../db/sqlstate.js';
import { settlementAccountId } from '../ids.js';
import type { LedgerContext } from './ledgerContext.js';
import { rememberAccounts } from './ledgerContext.js';
import { namedAccountIds, type LedgerOperation, type OperationResult } from './operations.js';
import { planBatch, type BatchPlan } from './planBatch.js';
import { rejected } from './results.js';
import { ensureSettlementAccounts } from './sql/ensureSettlementAccounts.js';
import type { CommitMarker } from './sql/findCommitMarker.js';
import { lockBatch, type LockedBatch } from './sql/lockBatch.js';
import { readAccountKinds } from './sql/readAccountKinds.js';
import { writeBatch } from './sql/writeBatch.js';

// Applies a batch of operations in one database transaction of two round trips: BEGIN with the
// lock-and-read, then the write with COMMIT, each pair pipelined on one connection. Repeated keys
// replay their stored outcomes; every other operation is decided in order against the locked
// accounts and gets its own result: a rejected one never aborts its batch-mates.

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

// The outbox's NOTIFY is sent after COMMIT, not inside the transaction: PostgreSQL serializes the
// commits of notifying transactions (a global lock held through the WAL flush). The relay's
// backstop poll covers a wake-up lost to a crash between the two.
const BEGIN_WITH_NOTIFY_AFTER_COMMIT = `BEGIN; SELECT set_config('wallet_ledger.notify_after_commit', 'on', true)`;
const NOTIFY_OUTBOX = `SELECT pg_notify('outbox', '')`;

export async function applyBatch(context: LedgerContext, operations: readonly LedgerOperation[]): Promise<OperationResult[]> {
  const now = context.clock.now();
  const lockIds = await accountsToLock(context, operations, now);
  const client = await context.pool.connect();
  let plan: BatchPlan;
  let results: OperationResult[];
  try {
    // Pipelined: the lock is sent behind BEGIN without waiting for it. Should BEGIN fail, no write follows.
    const [, locked] = await Promise.all([
      client.query(BEGIN_WITH_NOTIFY_AFTER_COMMIT),
      lockBatch(client, lockIds, keysOf(operations), externalRefsOf(operations), now),
    ]);
    const replays = operations.map((operation) => replayOf(operation, locked));
    const pending = operations.filter((_, index) => replays[index] === undefined);
    plan = planBatch(pending, locked.accounts, locked.takenExternalRefs, now, context.settings);
    results = mergeInOrder(replays, plan.results);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    client.release(isServerError(error) ? undefined : (error as Error));
    throw error;
  }
  await writeAndCommit(client, plan, results);
  return results;
}

/**
 * Sends the write and COMMIT together. A write that fails aborts the transaction, and the COMMIT
 * behind it only ends it (PostgreSQL answers ROLLBACK). Once both are on the wire, a lost
 * connection leaves the outcome unknown, unless the server had already reported the write failed.
 */
async function writeAndCommit(client: pg.PoolClient, plan: BatchPlan, results: OperationResult[]): Promise<void> {
  const [written, committed] = await Promise.allSettled([writeBatch(client, plan), client.query('COMMIT')]);
  const connectionLost = [written, committed].find((settled) => settled.status === 'rejected' && !isServerError(settled.reason));
  const lostReason = (connectionLost as PromiseRejectedResult | undefined)?.reason;
  // The server refused the write: nothing committed (the connection may have died after saying so).
  if (written.status === 'rejected' && isServerError(written.reason)) return releaseAndThrow(client, lostReason, written.reason);
  // The server refused the COMMIT itself: nothing committed, and the connection is fine.
  if (committed.status === 'rejected' && isServerError(committed.reason)) return releaseAndThrow(client, undefined, committed.reason);
  // The connection died with both on the wire: the batch may have committed.
  if (lostReason !== undefined) {
    const marker = commitMarker(plan);
    return releaseAndThrow(client, lostReason, marker ? new CommitOutcomeUnknownError(marker, results, lostReason) : lostReason);
  }
  const tag = (committed as PromiseFulfilledResult<pg.QueryResult>).value.command;
  if (tag !== 'COMMIT') return releaseAndThrow(client, undefined, new Error(`COMMIT answered ${tag}: the batch was not applied`));
  notifyThenRelease(client, plan.events.length > 0);
}

function releaseAndThrow(client: pg.PoolClient, connectionError: unknown, error: unknown): never {
  client.release(connectionError === undefined ? undefined : (connectionError as Error));
  throw error;
}

/** Wakes the relay without making the caller wait; a failed wake-up only delays the events. */
function notifyThenRelease(client: pg.PoolClient, notify: boolean): void {
  if (!notify) return client.release();
  client.query(NOTIFY_OUTBOX).then(
    () => client.release(),
    (error: Error) => client.release(error),
  );
}

function keysOf(operations: readonly LedgerOperation[]): string[] {
  return operations.flatMap((operation) => (operation.idempotency ? [operation.idempotency.key] : []));
}

function externalRefsOf(operations: readonly LedgerOperation[]): string[] {
  return operations.flatMap((operation) => (operation.kind === 'open_account' && operation.externalRef ? [operation.externalRef] : []));
}

/** The stored outcome of the operation's key, or undefined when the operation is to be decided. */
function replayOf(operation: LedgerOperation, locked: LockedBatch): OperationResult | undefined {
  const outcome = operation.idempotency && locked.storedOutcomes.get(operation.idempotency.key);
  if (!outcome) return undefined;
  if (outcome.fingerprint !== operation.idempotency!.fingerprint) {
    return rejected('idempotency_key_reused', 'This Idempotency-Key was already used for a different request');
  }
  return { statusCode: outcome.statusCode, body: outcome.body, replayed: true };
}

function mergeInOrder(replays: Array<OperationResult | undefined>, decided: OperationResult[]): OperationResult[] {
  let next = 0;
  return replays.map((replay) => replay ?? decided[next++]!);
}

/** Named accounts that exist, plus the settlement accounts their deposits and withdrawals need. */
async function accountsToLock(context: LedgerContext, operations: readonly LedgerOperation[], now: Date): Promise<string[]> {
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
