import { AMOUNT_MAX } from '../money.js';
import { newId, settlementAccountId } from '../ids.js';
import { buildEvent, postedEvent, type OutboxEvent } from './events.js';
import type { LedgerOperation, OpenAccount, OperationResult, PostingOperation } from './operations.js';
import { accountResource, transactionResource, type AccountRow, type EntryRow, type TransactionRow } from './resources.js';
import { created, posted, rejected, replayOf } from './results.js';

// Decides every operation of a batch against the locked accounts, in order, with no I/O: the
// outcome of each operation and the rows that the batch's one database transaction will write.
// A rejected operation changes nothing, so its batch-mates see the state it found.

export interface PlanSettings {
  idempotencyTtlMs: number;
  routingKeyPrefix: string;
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
  results: OperationResult[];
  newAccounts: AccountRow[];
  transactions: TransactionRow[];
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
  const results = operations.map((operation) => planner.decide(operation));
  return planner.finish(results);
}

class Planner {
  private readonly accounts = new Map<string, AccountState>();
  private readonly changed = new Set<string>();
  private readonly externalRefs: Set<string>;
  private readonly keyResults = new Map<string, { fingerprint: string; result: OperationResult }>();
  private readonly newAccounts: AccountRow[] = [];
  private readonly transactions: TransactionRow[] = [];
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

  decide(operation: LedgerOperation): OperationResult {
    const claim = operation.idempotency;
    const earlier = claim && this.keyResults.get(claim.key);
    if (claim && earlier) {
      if (earlier.fingerprint === claim.fingerprint) return replayOf(earlier.result);
      return rejected('idempotency_key_reused', 'This Idempotency-Key was already used for a different request');
    }
    const result = operation.kind === 'open_account' ? this.openAccount(operation) : this.post(operation);
    if (claim) {
      this.keyResults.set(claim.key, { fingerprint: claim.fingerprint, result });
      this.idempotencyRows.push({
        key: claim.key,
        fingerprint: claim.fingerprint,
        statusCode: result.statusCode,
        body: result.transactionId === undefined ? result.body : null,
        transactionId: result.transactionId ?? null,
        createdAt: this.now,
        expiresAt: new Date(this.now.getTime() + this.settings.idempotencyTtlMs),
      });
    }
    return result;
  }

  private openAccount(operation: OpenAccount): OperationResult {
    if (operation.externalRef !== null && this.externalRefs.has(operation.externalRef)) {
      return rejected('external_ref_taken', `An account with external_ref "${operation.externalRef}" already exists`, {
        external_ref: operation.externalRef,
      });
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
    const resource = accountResource(row);
    this.events.push(buildEvent('account.created', row.id, resource, this.now, this.settings.routingKeyPrefix));
    return created(resource);
  }

  private post(operation: PostingOperation): OperationResult {
    const sides = this.resolveSides(operation);
    if ('statusCode' in sides) return sides;
    const { source, destination } = sides;
    const currency = source.currency;
    if (source.kind === 'user' && source.balance < operation.amount) {
      return rejected('insufficient_funds', `Account ${source.id} has ${source.balance} ${currency} available, ${operation.amount} needed`, {
        account_id: source.id,
        available_balance: source.balance.toString(),
        amount: operation.amount.toString(),
      });
    }
    if (source.balance - operation.amount < -AMOUNT_MAX || destination.balance + operation.amount > AMOUNT_MAX) {
      const account = destination.balance + operation.amount > AMOUNT_MAX ? destination : source;
      return rejected('balance_overflow', `The balance of account ${account.id} would leave the range ±(10^38 - 1)`, {
        account_id: account.id,
      });
    }
    return posted(this.record(operation, source, destination));
  }

  /** The accounts money leaves and enters, or the rejection that stops the operation. */
  private resolveSides(operation: PostingOperation): { source: AccountState; destination: AccountState } | OperationResult {
    if (operation.kind === 'transfer') {
      if (operation.sourceAccountId === operation.destinationAccountId) {
        return rejected('same_account', 'source_account_id and destination_account_id must differ');
      }
      const source = this.wallet(operation.sourceAccountId, 'source_account_id');
      if ('statusCode' in source) return source;
      const destination = this.wallet(operation.destinationAccountId, 'destination_account_id');
      if ('statusCode' in destination) return destination;
      if (source.currency !== destination.currency) {
        return rejected('currency_mismatch', `Source account is in ${source.currency}, destination account in ${destination.currency}`);
      }
      return this.checkCurrency(operation, source) ?? { source, destination };
    }
    const wallet = this.wallet(operation.accountId, 'account_id');
    if ('statusCode' in wallet) return wallet;
    const mismatch = this.checkCurrency(operation, wallet);
    if (mismatch) return mismatch;
    const settlement = this.accounts.get(settlementAccountId(wallet.currency));
    if (!settlement) throw new Error(`invariant: settlement account for ${wallet.currency} was not locked`);
    return operation.kind === 'deposit' ? { source: settlement, destination: wallet } : { source: wallet, destination: settlement };
  }

  private wallet(id: string, field: string): AccountState | OperationResult {
    const account = this.accounts.get(id);
    if (account?.kind === 'user') return account;
    const why = account ? 'is a settlement account, which only deposits and withdrawals post to' : 'does not exist';
    return rejected('account_not_found', `Account ${id} (${field}) ${why}`, { account_id: id, field });
  }

  private checkCurrency(operation: PostingOperation, account: AccountState): OperationResult | undefined {
    if (operation.currency === undefined || operation.currency === account.currency) return undefined;
    return rejected('currency_mismatch', `The request is in ${operation.currency}, account ${account.id} is in ${account.currency}`, {
      account_id: account.id,
      account_currency: account.currency,
    });
  }

  /** Moves the money in the working copies and records the transaction, its entries and its event. */
  private record(operation: PostingOperation, source: AccountState, destination: AccountState) {
    const transaction: TransactionRow = {
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
    const resource = transactionResource(transaction, [debit, credit]);
    const eventType = `${operation.kind}.posted` as const;
    this.events.push(postedEvent(eventType, transaction.id, this.now, this.settings.routingKeyPrefix));
    return resource;
  }

  private entry(transaction: TransactionRow, account: AccountState, direction: 'debit' | 'credit', change: bigint): EntryRow {
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

  finish(results: OperationResult[]): BatchPlan {
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
