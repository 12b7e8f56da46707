import { accountCreatedEvent, traceEvents, type OutboxEvent } from './events.js';
import type {
  AccountHistoryRow,
  AccountRow,
  AccountSettingsRow,
  EntryRow,
  HoldChangeRow,
  HoldRow,
  LedgerTransactionRow,
  PostedTransactionRow,
} from './ledgerRows.js';
import type { LedgerOperation, OpenAccount, PostingOperation } from './operations.js';
import {
  rejected, replayOf, type AccountOpened, type AccountUpdated, type DecidedOutcome, type Posted, type Rejected,
} from './outcomes.js';
import { captureHold, createHold, releaseHold } from './planHolds.js';
import { postMultiLeg } from './planMultiLeg.js';
import { updateAccount } from './planAccountChanges.js';
import { reverseTransaction } from './planReversals.js';
import { balanceOverflow, PlanWork, resolveSides } from './planWork.js';

// Decides every operation of a batch against the locked accounts, in order, with no I/O: the
// outcome of each operation and the rows that the batch's one database transaction will write.
// A rejected operation changes nothing, so its batch-mates see the state it found. Postings and
// accounts are decided here, holds in planHolds.ts, reversals in planReversals.ts and multi-leg
// transactions in planMultiLeg.ts, all against
// one working state (planWork.ts).

/**
 * Renders a decided outcome as the response stored under its key: the channel's exact answer
 * (src/http/writeResponses.ts), not the outcome's facts, because idempotency_keys has always held
 * the answer itself and keys stored by earlier versions must replay byte for byte. The ledger
 * stores it without reading it. A posting is stored by its transaction's id and a created or voided
 * hold by the hold's id, with their status only.
 */
export interface StoredResponses {
  statusOf(outcome: DecidedOutcome): number;
  bodyOf(outcome: AccountOpened | AccountUpdated | Rejected): string;
}

export interface PlanSettings {
  idempotencyTtlMs: number;
  routingKeyPrefix: string;
  storedResponses: StoredResponses;
}

export interface IdempotencyRow {
  key: string;
  fingerprint: string;
  statusCode: number;
  /** Null when transactionId names the posted transaction, or holdId the hold, the body renders. */
  body: string | null;
  transactionId: string | null;
  holdId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface BalanceUpdate {
  id: string;
  balance: bigint;
  version: bigint;
  pendingDebits: bigint;
  pendingCredits: bigint;
  updatedAt: Date;
}

/**
 * What deciding an operation reads of an existing account. Of it, only balance, version and the
 * pending sums ever change (lock_accounts_as_planned_v2 compares exactly those).
 */
export type AccountState = Pick<
  AccountRow,
  'id' | 'kind' | 'currency' | 'balance' | 'version' | 'pending_debits' | 'pending_credits' | 'status' | 'overdraft_limit'
> & Partial<LockedOnlyFields>;

/** Present only on rows read under the batch's lock: what a PATCH renders and checks (planAccountChanges.ts). */
export type LockedOnlyFields = Pick<AccountRow, 'external_ref' | 'metadata' | 'created_at' | 'updated_at'>;

/** A transaction a batch reverses, with the sum of its reversals when locked. */
export interface OriginalTransaction {
  transaction: Pick<LedgerTransactionRow, 'id' | 'type' | 'amount' | 'source_account_id' | 'destination_account_id'>;
  reversedAmount: bigint;
}

/** The holds and reversed transactions a batch acts on, read under its locks (lockReferences.ts). */
export interface LockedReferences {
  holds: ReadonlyMap<string, HoldRow>;
  originals: ReadonlyMap<string, OriginalTransaction>;
}

export const NO_REFERENCES: LockedReferences = { holds: new Map(), originals: new Map() };

export interface BatchPlan {
  /** The time of every row the batch writes. */
  now: Date;
  /** When the outcomes stored under idempotency keys expire. */
  expiresAt: Date;
  /** One per operation, in the operations' order. */
  results: DecidedOutcome[];
  newAccounts: AccountRow[];
  transactions: PostedTransactionRow[];
  entries: EntryRow[];
  /** One per changed account, however many operations changed it. */
  balanceUpdates: BalanceUpdate[];
  /** Holds the batch created, each as the batch leaves it (written whole). */
  newHolds: HoldRow[];
  /** Holds made before the batch that it captured, voided or expired (only their state is written). */
  changedHolds: HoldRow[];
  holdChanges: HoldChangeRow[];
  /** Settings changed by the batch; each such account is among balanceUpdates too. */
  accountSettings: AccountSettingsRow[];
  accountHistory: AccountHistoryRow[];
  events: OutboxEvent[];
  idempotencyRows: IdempotencyRow[];
}

export function planBatch(
  operations: readonly LedgerOperation[],
  lockedAccounts: ReadonlyMap<string, AccountState>,
  takenExternalRefs: ReadonlySet<string>,
  now: Date,
  settings: PlanSettings,
  references: LockedReferences = NO_REFERENCES,
): BatchPlan {
  const planner = new Planner(new PlanWork(lockedAccounts, references, now, settings), takenExternalRefs);
  const outcomes = operations.map((operation) => planner.decide(operation));
  return planner.finish(outcomes);
}

class Planner {
  private readonly externalRefs: Set<string>;
  private readonly keyOutcomes = new Map<string, { fingerprint: string; outcome: DecidedOutcome }>();
  private readonly newAccounts: AccountRow[] = [];
  private readonly idempotencyRows: IdempotencyRow[] = [];

  constructor(
    private readonly work: PlanWork,
    takenExternalRefs: ReadonlySet<string>,
  ) {
    this.externalRefs = new Set(takenExternalRefs);
  }

  decide(operation: LedgerOperation): DecidedOutcome {
    const claim = operation.idempotency;
    const earlier = claim && this.keyOutcomes.get(claim.key);
    if (claim && earlier) {
      if (earlier.fingerprint === claim.fingerprint) return replayOf(earlier.outcome);
      return rejected({ code: 'idempotency_key_reused' });
    }
    const firstEvent = this.work.events.length;
    const outcome = this.decideAnew(operation);
    if (operation.traceparent) traceEvents(this.work.events, firstEvent, operation.traceparent);
    if (claim) {
      this.keyOutcomes.set(claim.key, { fingerprint: claim.fingerprint, outcome });
      const responses = this.work.settings.storedResponses;
      this.idempotencyRows.push({
        key: claim.key,
        fingerprint: claim.fingerprint,
        statusCode: responses.statusOf(outcome),
        // A posting's or a hold's response is rendered again from its rows when replayed.
        body: outcome.kind === 'posted' || outcome.kind === 'hold_changed' ? null : responses.bodyOf(outcome),
        transactionId: outcome.kind === 'posted' ? outcome.transaction.id : null,
        holdId: outcome.kind === 'hold_changed' ? outcome.hold.id : null,
        createdAt: this.work.now,
        expiresAt: new Date(this.work.now.getTime() + this.work.settings.idempotencyTtlMs),
      });
    }
    return outcome;
  }

  private decideAnew(operation: LedgerOperation): DecidedOutcome {
    switch (operation.kind) {
      case 'open_account':
        return this.openAccount(operation);
      case 'create_hold':
        return createHold(this.work, operation);
      case 'capture_hold':
        return captureHold(this.work, operation);
      case 'void_hold':
      case 'expire_hold':
        return releaseHold(this.work, operation);
      case 'reverse_transaction':
        return reverseTransaction(this.work, operation);
      case 'multi_leg':
        return postMultiLeg(this.work, operation);
      case 'update_account':
        return updateAccount(this.work, operation);
      default:
        return this.post(operation);
    }
  }

  private openAccount(operation: OpenAccount): AccountOpened | Rejected {
    if (operation.externalRef !== null && this.externalRefs.has(operation.externalRef)) {
      return rejected({ code: 'external_ref_taken', externalRef: operation.externalRef });
    }
    const row: AccountRow = {
      id: operation.accountId,
      kind: 'user',
      currency: operation.currency,
      balance: 0n,
      pending_debits: 0n,
      pending_credits: 0n,
      status: 'active',
      overdraft_limit: 0n,
      external_ref: operation.externalRef,
      metadata: operation.metadata,
      version: 0n,
      created_at: this.work.now,
      updated_at: this.work.now,
    };
    if (operation.externalRef !== null) this.externalRefs.add(operation.externalRef);
    this.newAccounts.push(row);
    this.work.events.push(accountCreatedEvent(row, this.work.settings.routingKeyPrefix));
    return { kind: 'account_opened', account: row, replayed: false };
  }

  private post(operation: PostingOperation): Posted | Rejected {
    const sides = resolveSides(this.work, operation);
    if ('code' in sides) return rejected(sides);
    const { source, destination } = sides;
    const short = this.work.insufficientFunds(source, operation.amount);
    if (short) return rejected(short);
    const overflow = balanceOverflow(source, destination, operation.amount);
    if (overflow) return rejected(overflow);
    const { amount, description, metadata } = operation;
    return this.work.record({ type: operation.kind, amount, description, metadata, holdId: null, reversesTransactionId: null }, source, destination);
  }

  finish(results: DecidedOutcome[]): BatchPlan {
    const { work } = this;
    const balanceUpdates = [...work.changed].map((id) => {
      const account = work.accounts.get(id)!;
      return {
        id,
        balance: account.balance,
        version: account.version,
        pendingDebits: account.pending_debits,
        pendingCredits: account.pending_credits,
        updatedAt: work.now,
      };
    });
    const writtenHolds = [...work.writtenHolds].map((id) => work.holds.get(id)!);
    const plan: BatchPlan = {
      now: work.now,
      expiresAt: new Date(work.now.getTime() + work.settings.idempotencyTtlMs),
      results,
      newAccounts: this.newAccounts,
      transactions: work.transactions,
      entries: work.entries,
      balanceUpdates,
      newHolds: writtenHolds.filter((hold) => work.newHolds.has(hold.id)),
      changedHolds: writtenHolds.filter((hold) => !work.newHolds.has(hold.id)),
      holdChanges: work.holdChanges,
      accountSettings: work.accountSettings,
      accountHistory: work.accountHistory,
      events: work.events,
      idempotencyRows: this.idempotencyRows,
    };
    assertPlanConsistent(plan, work.accounts);
    return plan;
  }
}

/** Broken invariants here are bugs: fail the batch loudly rather than write them. */
function assertPlanConsistent(plan: BatchPlan, accounts: ReadonlyMap<string, AccountState>): void {
  const net = new Map<string, bigint>();
  for (const entry of plan.entries) {
    const signed = entry.direction === 'debit' ? -entry.amount : entry.amount;
    net.set(entry.transaction_id, (net.get(entry.transaction_id) ?? 0n) + signed);
  }
  for (const [transactionId, sum] of net) {
    if (sum !== 0n) throw new Error(`invariant: transaction ${transactionId} debits and credits differ by ${sum}`);
  }
  for (const update of plan.balanceUpdates) {
    const account = accounts.get(update.id)!;
    if (account.kind === 'user' && update.balance + account.overdraft_limit < update.pendingDebits) throw new Error(`invariant: account ${update.id} would spend held money`);
    if (update.pendingDebits < 0n || update.pendingCredits < 0n) throw new Error(`invariant: account ${update.id} would hold less than nothing`);
  }
}
