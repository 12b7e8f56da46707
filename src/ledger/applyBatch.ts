import type pg from 'pg';
import { isServerError, classifyDatabaseError } from '../db/sqlstate.js';
import { settlementAccountId } from '../ids.js';
import type { LedgerContext } from './ledgerContext.js';
import { rememberAccounts } from './ledgerContext.js';
import type { HoldRow, PostedLedgerTransaction } from './ledgerRows.js';
import { legSettlementCurrencies } from './planMultiLeg.js';
import { holdIdsOf, isPlannedOnRememberedRows, namedAccountIds, reversedIdsOf, type LedgerOperation } from './operations.js';
import { rejected, type LedgerOutcome } from './outcomes.js';
import { NO_REFERENCES, planBatch, type AccountState, type BatchPlan, type LockedReferences } from './planBatch.js';
import { commitPlannedBatch } from './sql/commitPlannedBatch.js';
import { ensureSettlementAccounts } from './sql/ensureSettlementAccounts.js';
import type { CommitMarker } from './sql/findCommitMarker.js';
import { lockBatch, type LockedBatch } from './sql/lockBatch.js';
import { lockReferences, toLockedReferences } from './sql/lockReferences.js';
import { readAccountKinds } from './sql/readAccountKinds.js';
import { holdAsChanged, readHoldHistories, type HoldHistory } from './sql/readHoldHistories.js';
import { readLedgerTransactions } from './sql/readLedgerTransactions.js';
import { writeBatch } from './sql/writeBatch.js';

// Applies a batch of operations in one database transaction. Repeated keys replay their stored
// outcomes; every other operation is decided in order against the locked accounts and gets its own
// result: a rejected one never aborts its batch-mates.
//
// Usually one round trip: a partition is the single writer of its accounts, so it plans against
// the rows its last commits left (CommittedAccounts) and sends one statement that locks those rows,
// checks them and writes (commitPlannedBatch); outside an explicit transaction it commits when it
// returns. When another writer changed a row or stored one of the keys meanwhile, the statement
// fails having written nothing, and the batch takes two round trips on the same connection:
// BEGIN with a lock that reads the rows and stored outcomes, then the write with COMMIT, each pair
// pipelined (pg's `pipeline` option). Captures, voids and expiries of holds the partition created
// take one round trip too (CommittedHolds); reversals always take two, reading what was already
// reversed under the locks. Where that keeps happening, batches take two round trips at
// once (OneRoundTripGate).
//
// The outbox trigger's NOTIFY goes out inside the transaction, once per batch: notifying after
// COMMIT would cost every batch one more round trip.

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

/** Ends the two-round-trip path's explicit transaction, sent behind its write. Named, so parsed once per connection. */
const COMMIT: pg.QueryConfig = { name: 'commit_batch', text: 'COMMIT' };
/** Only accounts being opened check external refs, and they take the two-round-trip path. */
const NO_TAKEN_REFS: ReadonlySet<string> = new Set();

export async function applyBatch(context: LedgerContext, operations: readonly LedgerOperation[]): Promise<LedgerOutcome[]> {
  const now = context.clock.now();
  const lockIds = await accountsToLock(context, operations, now);
  const holdIds = holdIdsOf(operations);
  const client = await context.pool.connect();
  let discardConnection = false;
  try {
    const known = operations.every(isPlannedOnRememberedRows) ? context.committedAccounts.statesOf(lockIds) : undefined;
    const knownHolds = known && context.committedHolds.statesOf(holdIds);
    if (known && knownHolds && context.oneRoundTrip.admits()) {
      const results = await applyInOneRoundTrip(context, client, operations, { accounts: known, holds: knownHolds }, now);
      if (results) return results;
      context.committedHolds.forget(holdIds);
    }
    return await applyInTwoRoundTrips(context, client, operations, lockIds, now);
  } catch (error) {
    context.committedAccounts.forget(lockIds);
    context.committedHolds.forget(holdIds);
    // A server's refusal leaves the connection outside any transaction (each path ends its own).
    // After anything else (a lost connection, a bug halfway) its state is unknown, and the next
    // batch must not inherit it.
    discardConnection = !isServerError(error);
    throw error;
  } finally {
    client.release(discardConnection);
  }
}

/** Undefined when a row planned against had changed or a key was stored: nothing was written. */
async function applyInOneRoundTrip(
  context: LedgerContext,
  client: pg.PoolClient,
  operations: readonly LedgerOperation[],
  known: { accounts: Map<string, AccountState>; holds: Map<string, HoldRow> },
  now: Date,
): Promise<LedgerOutcome[] | undefined> {
  const plan = planBatch(operations, known.accounts, NO_TAKEN_REFS, now, context.settings, { holds: known.holds, originals: new Map() });
  try {
    await commitPipelined(client, plan, plan.results, [commitPlannedBatch(known.accounts, plan, [...known.holds.keys()])]);
  } catch (error) {
    const failure = classifyDatabaseError(error).kind;
    if (!isServerError(error) || (failure !== 'rows_changed' && failure !== 'idempotency_race')) throw error;
    context.oneRoundTrip.recordFellBack();
    return undefined;
  }
  context.committedAccounts.rememberCommit(known.accounts, plan);
  context.committedHolds.rememberCommit(plan);
  context.oneRoundTrip.recordCommitted();
  context.counters.oneRoundTrip++;
  return plan.results;
}

async function applyInTwoRoundTrips(
  context: LedgerContext,
  client: pg.PoolClient,
  operations: readonly LedgerOperation[],
  lockIds: string[],
  now: Date,
): Promise<LedgerOutcome[]> {
  let locked: LockedBatch;
  let plan: BatchPlan;
  let results: LedgerOutcome[];
  try {
    // The locks are sent behind BEGIN without waiting for it. Should BEGIN fail, no write follows.
    const holdIds = holdIdsOf(operations);
    const originalIds = reversedIdsOf(operations);
    const withReferences = holdIds.length > 0 || originalIds.length > 0;
    const [begun, lockedNow, referencesNow] = await Promise.allSettled([
      client.query('BEGIN'),
      lockBatch(client, lockIds, keysOf(operations), externalRefsOf(operations), now),
      withReferences ? client.query(lockReferences(holdIds, originalIds)).then(toLockedReferences) : Promise.resolve(NO_REFERENCES),
    ]);
    if (begun.status === 'rejected') throw begun.reason;
    if (lockedNow.status === 'rejected') throw lockedNow.reason;
    if (referencesNow.status === 'rejected') throw referencesNow.reason;
    locked = lockedNow.value;
    const references: LockedReferences = referencesNow.value;
    const stored = await readStoredRows(client, locked);
    const replays = operations.map((operation) => replayOf(operation, locked, stored));
    const pending = operations.filter((_, index) => replays[index] === undefined);
    plan = planBatch(pending, locked.accounts, locked.takenExternalRefs, now, context.settings, references);
    results = mergeInOrder(replays, plan.results);
  } catch (error) {
    // Nothing was written. Should the ROLLBACK fail too, its error (a lost connection) is thrown.
    await client.query('ROLLBACK');
    throw error;
  }
  // A write the server refuses aborts the transaction, and COMMIT then ends it without committing.
  await commitPipelined(client, plan, results, [writeBatch(plan), COMMIT]);
  context.committedAccounts.rememberCommit(locked.accounts, plan);
  context.counters.twoRoundTrips++;
  // The accounts were read afresh: holds remembered on them may be stale (see CommittedHolds).
  context.committedHolds.forgetHoldsOf(locked.accounts.keys());
  context.committedHolds.rememberCommit(plan);
  return results;
}

/**
 * Sends the statements that commit a batch without waiting between them, and settles the outcome
 * once every one has answered: all answered, the batch committed; the server refused one, nothing
 * committed and its error is thrown; the connection failed with no refusal before, the outcome is
 * unknown (CommitOutcomeUnknownError).
 */
async function commitPipelined(
  client: pg.PoolClient,
  plan: BatchPlan,
  results: LedgerOutcome[],
  statements: pg.QueryConfig[],
): Promise<void> {
  const answers = await Promise.allSettled(statements.map((statement) => client.query(statement)));
  const failures = answers.flatMap((answer) => (answer.status === 'rejected' ? [answer.reason as unknown] : []));
  if (failures.length === 0) return;
  const refusal = failures.find(isServerError);
  const lost = failures.find((failure) => !isServerError(failure));
  if (lost === undefined) throw refusal;
  // A refusal means nothing committed, but the connection is gone: its error says so.
  const marker = commitMarker(plan);
  if (refusal !== undefined || marker === undefined) throw lost;
  throw new CommitOutcomeUnknownError(marker, results, lost);
}

function keysOf(operations: readonly LedgerOperation[]): string[] {
  return operations.flatMap((operation) => (operation.idempotency ? [operation.idempotency.key] : []));
}

function externalRefsOf(operations: readonly LedgerOperation[]): string[] {
  return operations.flatMap((operation) => (operation.kind === 'open_account' && operation.externalRef ? [operation.externalRef] : []));
}

interface StoredRows {
  transactions: Map<string, PostedLedgerTransaction>;
  holds: Map<string, HoldHistory>;
}

/** The transactions and holds that stored answers name: read only when the batch repeats such a key. */
async function readStoredRows(client: pg.PoolClient, locked: LockedBatch): Promise<StoredRows> {
  const outcomes = [...locked.storedOutcomes.values()];
  const transactionIds = outcomes.flatMap((outcome) => (outcome.transactionId ? [outcome.transactionId] : []));
  const holdIds = outcomes.flatMap((outcome) => (outcome.holdId ? [outcome.holdId] : []));
  const [transactions, holds] = await Promise.all([
    transactionIds.length === 0 ? new Map<string, PostedLedgerTransaction>() : readLedgerTransactions(client, transactionIds),
    holdIds.length === 0 ? new Map<string, HoldHistory>() : readHoldHistories(client, holdIds),
  ]);
  return { transactions, holds };
}

/** The stored outcome of the operation's key, or undefined when the operation is to be decided. */
function replayOf(operation: LedgerOperation, locked: LockedBatch, stored: StoredRows): LedgerOutcome | undefined {
  const outcome = operation.idempotency && locked.storedOutcomes.get(operation.idempotency.key);
  if (!outcome) return undefined;
  if (outcome.fingerprint !== operation.idempotency!.fingerprint) return rejected({ code: 'idempotency_key_reused' });
  if (outcome.body !== null) return { kind: 'stored_response', statusCode: outcome.statusCode, body: outcome.body };
  if (outcome.holdId !== null) {
    // The same fingerprint is the same request: a void's key replays the void, a creation's the new hold.
    const voided = operation.kind === 'void_hold';
    const history = stored.holds.get(outcome.holdId);
    const hold = history && holdAsChanged(history, voided ? 'voided' : 'pending');
    if (!hold) throw new Error(`invariant: stored hold ${outcome.holdId} has no ${voided ? 'void' : 'creation'}`);
    return { kind: 'hold_changed', change: voided ? 'voided' : 'created', hold, replayed: true };
  }
  const posting = stored.transactions.get(outcome.transactionId!);
  if (!posting) throw new Error(`invariant: stored transaction ${outcome.transactionId} does not exist`);
  return { kind: 'posted', transaction: posting.transaction, entries: posting.entries, replayed: true, shapedBeforeHolds: outcome.shapedBeforeHolds };
}

function mergeInOrder(replays: Array<LedgerOutcome | undefined>, decided: LedgerOutcome[]): LedgerOutcome[] {
  let next = 0;
  return replays.map((replay) => replay ?? decided[next++]!);
}

/** The wallet whose currency's settlement account the operation posts or holds against, if any. */
function settledWalletOf(operation: LedgerOperation): string | undefined {
  if (operation.kind === 'deposit' || operation.kind === 'withdrawal') return operation.accountId;
  if (operation.kind === 'create_hold' && operation.destinationAccountId === null) return operation.sourceAccountId;
  return undefined;
}

/** Named accounts that exist, plus the settlement accounts their deposits and withdrawals need. */
async function accountsToLock(context: LedgerContext, operations: readonly LedgerOperation[], now: Date): Promise<string[]> {
  const named = [...new Set(operations.flatMap(namedAccountIds))];
  const unknown = named.filter((id) => !context.knownAccounts.has(id));
  if (unknown.length) rememberAccounts(context, await readAccountKinds(context.pool, unknown));
  const currencies = new Set<string>();
  for (const operation of operations) {
    const wallet = settledWalletOf(operation);
    const account = wallet === undefined ? undefined : context.knownAccounts.get(wallet);
    if (account?.kind === 'user') currencies.add(account.currency);
    if (operation.kind === 'multi_leg') for (const currency of legSettlementCurrencies(operation, context.knownAccounts)) currencies.add(currency);
  }
  const missing = [...currencies].filter((currency) => !context.settledCurrencies.has(currency));
  if (missing.length) {
    await ensureSettlementAccounts(context.pool, missing, now);
    for (const currency of missing) context.settledCurrencies.add(currency);
  }
  const existing = named.filter((id) => context.knownAccounts.has(id));
  return [...new Set([...existing, ...[...currencies].map(settlementAccountId)])];
}

function commitMarker(plan: BatchPlan): CommitMarker | undefined {
  const transaction = plan.transactions[0];
  if (transaction) return { table: 'ledger_transactions', id: transaction.id };
  const account = plan.newAccounts[0];
  if (account) return { table: 'accounts', id: account.id };
  const row = plan.idempotencyRows[0];
  if (row) return { table: 'idempotency_keys', key: row.key, fingerprint: row.fingerprint };
  const change = plan.holdChanges[0];
  if (change) return { table: 'hold_changes', holdId: change.hold_id, status: change.status };
  // A PATCH without a key writes its history row and little else.
  const history = plan.accountHistory[0];
  if (history) return { table: 'account_history', accountId: history.account_id, version: history.version.toString() };
  return undefined;
}
