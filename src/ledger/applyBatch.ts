import type pg from 'pg';
import { mustDiscardConnection, runAsOneTransaction, type PreparedStatement } from '../db/oneSyncTransaction.js';
import { classifyDatabaseError, isServerError } from '../db/sqlstate.js';
import { settlementAccountId } from '../ids.js';
import type { LedgerContext } from './ledgerContext.js';
import { rememberAccounts } from './ledgerContext.js';
import type { PostedLedgerTransaction } from './ledgerRows.js';
import { isPosting, namedAccountIds, type LedgerOperation } from './operations.js';
import { rejected, type LedgerOutcome } from './outcomes.js';
import { planBatch, type AccountState, type BatchPlan } from './planBatch.js';
import { ensureSettlementAccounts } from './sql/ensureSettlementAccounts.js';
import type { CommitMarker } from './sql/findCommitMarker.js';
import { lockAccountsAsPlanned } from './sql/lockAccountsAsPlanned.js';
import { lockBatch, type LockedBatch } from './sql/lockBatch.js';
import { readAccountKinds } from './sql/readAccountKinds.js';
import { readLedgerTransactions } from './sql/readLedgerTransactions.js';
import { writeBatch } from './sql/writeBatch.js';

// Applies a batch of operations in one database transaction. Repeated keys replay their stored
// outcomes; every other operation is decided in order against the locked accounts and gets its own
// result: a rejected one never aborts its batch-mates. Statements are pipelined on one connection
// (pg's pipeline mode): each round trip carries several without waiting for their answers.
//
// Usually one round trip: a partition is the single writer of its accounts, so it plans against
// the rows its last commits left (CommittedAccounts) and sends a lock that checks those rows and
// the write as one implicit transaction, committed at the protocol's Sync (oneSyncTransaction.ts).
// When another writer changed a row or stored one of the keys meanwhile, that transaction rolls
// back whole and the batch takes two round trips: BEGIN with a lock that reads the rows and stored
// outcomes, then the write and COMMIT under one Sync. Where that keeps happening, the batches take
// two round trips at once (OneRoundTripGate).
//
// The outbox trigger's NOTIFY goes out inside the transaction, once per batch. PostgreSQL
// serializes the commits of notifying transactions (a lock held through the WAL flush), which caps
// writers that commit one operation each; a batch commits dozens, and one more round trip per
// batch to notify after COMMIT cost more than the lock (README, Performance).

/** The connection failed while the commit was in flight: the batch may or may not have committed. */
export class CommitOutcomeUnknownError extends Error {
  constructor(
    readonly marker: CommitMarker,
    readonly results: LedgerOutcome[],
    override readonly cause: unknown,
  ) {
    super('connection lost during the commit');
  }
}

/** Ends the two-round-trip path's explicit transaction, under the same Sync as its write. */
const COMMIT: PreparedStatement = { name: 'commit_batch', text: 'COMMIT', values: [] };
/** Only accounts being opened check external refs, and they take the two-round-trip path. */
const NO_TAKEN_REFS: ReadonlySet<string> = new Set();

export async function applyBatch(context: LedgerContext, operations: readonly LedgerOperation[]): Promise<LedgerOutcome[]> {
  const now = context.clock.now();
  const lockIds = await accountsToLock(context, operations, now);
  try {
    const known = operations.every(isPosting) ? context.committedAccounts.statesOf(lockIds) : undefined;
    if (known && context.oneRoundTrip.admits()) {
      const results = await applyInOneRoundTrip(context, operations, known, now);
      if (results) return results;
    }
    return await applyInTwoRoundTrips(context, operations, lockIds, now);
  } catch (error) {
    context.committedAccounts.forget(lockIds);
    throw error;
  }
}

/** Undefined when a row planned against had changed or a key was stored: nothing was written. */
async function applyInOneRoundTrip(
  context: LedgerContext,
  operations: readonly LedgerOperation[],
  known: Map<string, AccountState>,
  now: Date,
): Promise<LedgerOutcome[] | undefined> {
  const plan = planBatch(operations, known, NO_TAKEN_REFS, now, context.settings);
  const client = await context.pool.connect();
  try {
    await commitAtOneSync(client, plan, plan.results, [lockAccountsAsPlanned(known), writeBatch(plan)]);
  } catch (error) {
    if (!isServerError(error)) throw error; // released, the outcome unknown (commitAtOneSync)
    client.release(mustDiscardConnection(error) ? (error as Error) : undefined);
    const failure = classifyDatabaseError(error).kind;
    if (failure !== 'rows_changed' && failure !== 'idempotency_race') throw error;
    context.oneRoundTrip.recordFellBack();
    return undefined;
  }
  client.release();
  context.committedAccounts.rememberCommit(known, plan);
  context.oneRoundTrip.recordCommitted();
  return plan.results;
}

async function applyInTwoRoundTrips(
  context: LedgerContext,
  operations: readonly LedgerOperation[],
  lockIds: string[],
  now: Date,
): Promise<LedgerOutcome[]> {
  const client = await context.pool.connect();
  let locked: LockedBatch;
  let plan: BatchPlan;
  let results: LedgerOutcome[];
  try {
    // Pipelined: the lock is sent behind BEGIN without waiting for it. Should BEGIN fail, no write follows.
    [, locked] = await Promise.all([
      client.query('BEGIN'),
      lockBatch(client, lockIds, keysOf(operations), externalRefsOf(operations), now),
    ]);
    const storedTransactions = await readStoredTransactions(client, locked);
    const replays = operations.map((operation) => replayOf(operation, locked, storedTransactions));
    const pending = operations.filter((_, index) => replays[index] === undefined);
    plan = planBatch(pending, locked.accounts, locked.takenExternalRefs, now, context.settings);
    results = mergeInOrder(replays, plan.results);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    client.release(isServerError(error) ? undefined : (error as Error));
    throw error;
  }
  try {
    await commitAtOneSync(client, plan, results, [writeBatch(plan), COMMIT]);
  } catch (error) {
    if (!isServerError(error)) throw error; // released, the outcome unknown (commitAtOneSync)
    // A failed statement leaves the explicit transaction open and aborted; nothing was applied.
    const rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
    client.release(!rolledBack || mustDiscardConnection(error) ? (error as Error) : undefined);
    throw error;
  }
  client.release();
  context.committedAccounts.rememberCommit(locked.accounts, plan);
  return results;
}

/**
 * Sends the statements with one Sync (oneSyncTransaction.ts) and settles the commit's outcome: a
 * server error means nothing committed, and the caller releases the connection; a connection lost
 * on the way leaves the outcome unknown, and the connection is released here.
 */
async function commitAtOneSync(
  client: pg.PoolClient,
  plan: BatchPlan,
  results: LedgerOutcome[],
  statements: PreparedStatement[],
): Promise<void> {
  try {
    await runAsOneTransaction(client, statements);
  } catch (error) {
    if (isServerError(error)) throw error;
    const marker = commitMarker(plan);
    releaseAndThrow(client, error, marker ? new CommitOutcomeUnknownError(marker, results, error) : error);
  }
}

function releaseAndThrow(client: pg.PoolClient, connectionError: unknown, error: unknown): never {
  client.release(connectionError === undefined ? undefined : (connectionError as Error));
  throw error;
}

function keysOf(operations: readonly LedgerOperation[]): string[] {
  return operations.flatMap((operation) => (operation.idempotency ? [operation.idempotency.key] : []));
}

function externalRefsOf(operations: readonly LedgerOperation[]): string[] {
  return operations.flatMap((operation) => (operation.kind === 'open_account' && operation.externalRef ? [operation.externalRef] : []));
}

/** The transactions that stored postings name: read only when the batch repeats a posting's key. */
async function readStoredTransactions(client: pg.PoolClient, locked: LockedBatch): Promise<Map<string, PostedLedgerTransaction>> {
  const ids = [...locked.storedOutcomes.values()].flatMap((outcome) => (outcome.transactionId ? [outcome.transactionId] : []));
  return ids.length === 0 ? new Map() : readLedgerTransactions(client, ids);
}

/** The stored outcome of the operation's key, or undefined when the operation is to be decided. */
function replayOf(
  operation: LedgerOperation,
  locked: LockedBatch,
  storedTransactions: Map<string, PostedLedgerTransaction>,
): LedgerOutcome | undefined {
  const outcome = operation.idempotency && locked.storedOutcomes.get(operation.idempotency.key);
  if (!outcome) return undefined;
  if (outcome.fingerprint !== operation.idempotency!.fingerprint) return rejected({ code: 'idempotency_key_reused' });
  if (outcome.body !== null) return { kind: 'stored_response', statusCode: outcome.statusCode, body: outcome.body };
  const posting = storedTransactions.get(outcome.transactionId!);
  if (!posting) throw new Error(`invariant: stored transaction ${outcome.transactionId} does not exist`);
  return { kind: 'posted', transaction: posting.transaction, entries: posting.entries, replayed: true };
}

function mergeInOrder(replays: Array<LedgerOutcome | undefined>, decided: LedgerOutcome[]): LedgerOutcome[] {
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
