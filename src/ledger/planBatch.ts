import { AMOUNT_MAX } from '../money.js';
import { newId, settlementAccountId } from '../ids.js';
import { accountCreatedEvent, postedEvent, type OutboxEvent } from './events.js';
import type { AccountRow, EntryRow, LedgerTransactionRow } from './ledgerRows.js';
import type { LedgerOperation, OpenAccount, PostingOperation } from './operations.js';
import { rejected, replayOf, type AccountOpened, type AccountRole, type DecidedOutcome, type Posted, type Rejected, type Rejection } from './outcomes.js';

// Decides every operation of a batch against the locked accounts, in order, with no I/O: the
// outcome of each operation and the rows that the batch's one database transaction will write.
// A rejected operation changes nothing, so its batch-mates see the state it found.

/**
 * Renders a decided outcome as the response stored under its key: the channel's exact answer
 * (src/http/writeResponses.ts), not the outcome's facts, because idempotency_keys has always held
 * the answer itself and keys stored by earlier versions must replay byte for byte. The ledger
 * stores it without reading it. A posting is stored by its transaction's id, with its status only.
 */
export interface StoredResponses {
  statusOf(outcome: DecidedOutcome): number;
  bodyOf(outcome: AccountOpened | Rejected): string;
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
  /** Null when transactionId names the posted transaction the body renders. */
  body: string | null;
  transactionId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface BalanceUpdate {
  id: string;
  balance: bigint;
  version: bigint;
  updatedAt: Date;
}

/**
 * What deciding an operation reads of an existing account. Of it, only balance and version ever
 * change (lock_accounts_as_planned compares exactly those).
 */
export type AccountState = Pick<AccountRow, 'id' | 'kind' | 'currency' | 'balance' | 'version'>;

export interface BatchPlan {
  /** The time of every row the batch writes. */
  now: Date;
  /** When the outcomes stored under idempotency keys expire. */
  expiresAt: Date;
  /** One per operation, in the operations' order. */
  results: DecidedOutcome[];
  newAccounts: AccountRow[];
  transactions: LedgerTransactionRow[];
  entries: EntryRow[];
  /** One per changed account, however many operations changed it. */
  balanceUpdates: BalanceUpdate[];
  events: OutboxEvent[];
  idempotencyRows: IdempotencyRow[];
}

export function planBatch(
  operations: readonly LedgerOperation[],
  lockedAccounts: ReadonlyMap<string, AccountState>,
  takenExternalRefs: ReadonlySet<string>,
  now: Date,
  settings: PlanSettings,
): BatchPlan {
  const planner = new Planner(lockedAccounts, takenExternalRefs, now, settings);
  const outcomes = operations.map((operation) => planner.decide(operation));
  return planner.finish(outcomes);
}

class Planner {
  private readonly accounts = new Map<string, AccountState>();
  private readonly changed = new Set<string>();
  private readonly externalRefs: Set<string>;
  private readonly keyOutcomes = new Map<string, { fingerprint: string; outcome: DecidedOutcome }>();
  private readonly newAccounts: AccountRow[] = [];
  private readonly transactions: LedgerTransactionRow[] = [];
  private readonly entries: EntryRow[] = [];
  private readonly events: OutboxEvent[] = [];
  private readonly idempotencyRows: IdempotencyRow[] = [];

  constructor(
    locked: ReadonlyMap<string, AccountState>,
    takenExternalRefs: ReadonlySet<string>,
    private readonly now: Date,
    private readonly settings: PlanSettings,
  ) {
    // Working copies: the planner moves balances as it goes, the caller's rows stay as read.
    for (const [id, row] of locked) this.accounts.set(id, { ...row });
    this.externalRefs = new Set(takenExternalRefs);
  }

  decide(operation: LedgerOperation): DecidedOutcome {
    const claim = operation.idempotency;
    const earlier = claim && this.keyOutcomes.get(claim.key);
    if (claim && earlier) {
      if (earlier.fingerprint === claim.fingerprint) return replayOf(earlier.outcome);
      return rejected({ code: 'idempotency_key_reused' });
    }
    const outcome = operation.kind === 'open_account' ? this.openAccount(operation) : this.post(operation);
    if (claim) {
      this.keyOutcomes.set(claim.key, { fingerprint: claim.fingerprint, outcome });
      const responses = this.settings.storedResponses;
      this.idempotencyRows.push({
        key: claim.key,
        fingerprint: claim.fingerprint,
        statusCode: responses.statusOf(outcome),
        // A posting's response is rendered again from its transaction's rows when replayed.
        body: outcome.kind === 'posted' ? null : responses.bodyOf(outcome),
        transactionId: outcome.kind === 'posted' ? outcome.transaction.id : null,
        createdAt: this.now,
        expiresAt: new Date(this.now.getTime() + this.settings.idempotencyTtlMs),
      });
    }
    return outcome;
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
      status: 'active',
      external_ref: operation.externalRef,
      metadata: operation.metadata,
      version: 0n,
      created_at: this.now,
      updated_at: this.now,
    };
    if (operation.externalRef !== null) this.externalRefs.add(operation.externalRef);
    this.newAccounts.push(row);
    this.events.push(accountCreatedEvent(row, this.settings.routingKeyPrefix));
    return { kind: 'account_opened', account: row, replayed: false };
  }

  private post(operation: PostingOperation): Posted | Rejected {
    const sides = this.resolveSides(operation);
    if ('code' in sides) return rejected(sides);
    const { source, destination } = sides;
    if (source.kind === 'user' && source.balance < operation.amount) {
      return rejected({
        code: 'insufficient_funds',
        accountId: source.id,
        currency: source.currency,
        availableBalance: source.balance,
        amount: operation.amount,
      });
    }
    if (source.balance - operation.amount < -AMOUNT_MAX || destination.balance + operation.amount > AMOUNT_MAX) {
      const account = destination.balance + operation.amount > AMOUNT_MAX ? destination : source;
      return rejected({ code: 'balance_overflow', accountId: account.id });
    }
    return this.record(operation, source, destination);
  }

  /** The accounts money leaves and enters, or the reason the operation is refused. */
  private resolveSides(operation: PostingOperation): { source: AccountState; destination: AccountState } | Rejection {
    if (operation.kind === 'transfer') {
      if (operation.sourceAccountId === operation.destinationAccountId) return { code: 'same_account' };
      const source = this.wallet(operation.sourceAccountId, 'source');
      if ('code' in source) return source;
      const destination = this.wallet(operation.destinationAccountId, 'destination');
      if ('code' in destination) return destination;
      if (source.currency !== destination.currency) {
        return { code: 'currencies_differ', sourceCurrency: source.currency, destinationCurrency: destination.currency };
      }
      return this.checkCurrency(operation, source) ?? { source, destination };
    }
    const wallet = this.wallet(operation.accountId, 'account');
    if ('code' in wallet) return wallet;
    const mismatch = this.checkCurrency(operation, wallet);
    if (mismatch) return mismatch;
    const settlement = this.accounts.get(settlementAccountId(wallet.currency));
    if (!settlement) throw new Error(`invariant: settlement account for ${wallet.currency} was not locked`);
    return operation.kind === 'deposit' ? { source: settlement, destination: wallet } : { source: wallet, destination: settlement };
  }

  private wallet(id: string, role: AccountRole): AccountState | Rejection {
    const account = this.accounts.get(id);
    if (account?.kind === 'user') return account;
    return { code: 'account_not_found', accountId: id, role, isSettlement: account !== undefined };
  }

  private checkCurrency(operation: PostingOperation, account: AccountState): Rejection | undefined {
    if (operation.currency === undefined || operation.currency === account.currency) return undefined;
    return { code: 'currency_mismatch', accountId: account.id, accountCurrency: account.currency, requestCurrency: operation.currency };
  }

  /** Moves the money in the working copies and records the transaction, its entries and its event. */
  private record(operation: PostingOperation, source: AccountState, destination: AccountState): Posted {
    const transaction: LedgerTransactionRow = {
      id: newId(),
      type: operation.kind,
      status: 'posted',
      amount: operation.amount,
      currency: source.currency,
      source_account_id: source.id,
      destination_account_id: destination.id,
      description: operation.description,
      metadata: operation.metadata,
      created_at: this.now,
    };
    const debit = this.entry(transaction, source, 'debit', -operation.amount);
    const credit = this.entry(transaction, destination, 'credit', operation.amount);
    this.transactions.push(transaction);
    this.entries.push(debit, credit);
    const eventType = `${operation.kind}.posted` as const;
    this.events.push(postedEvent(eventType, transaction.id, this.now, this.settings.routingKeyPrefix));
    return { kind: 'posted', transaction, entries: [debit, credit], replayed: false };
  }

  private entry(transaction: LedgerTransactionRow, account: AccountState, direction: 'debit' | 'credit', change: bigint): EntryRow {
    account.balance += change;
    account.version += 1n;
    this.changed.add(account.id);
    return {
      id: newId(),
      transaction_id: transaction.id,
      account_id: account.id,
      direction,
      amount: transaction.amount,
      balance_after: account.balance,
      sequence: account.version,
      created_at: this.now,
    };
  }

  finish(results: DecidedOutcome[]): BatchPlan {
    const balanceUpdates = [...this.changed].map((id) => {
      const account = this.accounts.get(id)!;
      return { id, balance: account.balance, version: account.version, updatedAt: this.now };
    });
    const plan: BatchPlan = {
      now: this.now,
      expiresAt: new Date(this.now.getTime() + this.settings.idempotencyTtlMs),
      results,
      newAccounts: this.newAccounts,
      transactions: this.transactions,
      entries: this.entries,
      balanceUpdates,
      events: this.events,
      idempotencyRows: this.idempotencyRows,
    };
    assertPlanConsistent(plan, this.accounts);
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
    if (account.kind === 'user' && update.balance < 0n) throw new Error(`invariant: account ${update.id} would go negative`);
  }
}
