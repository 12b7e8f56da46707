import { newId, settlementAccountId } from '../ids.js';
import { AMOUNT_MAX } from '../money.js';
import { movementRefusal } from './accountControls.js';
import { postedEvent, type OutboxEvent } from './events.js';
import type {
  AccountHistoryRow, AccountSettingsRow, EntryRow, HoldChangeRow, HoldRow, LedgerTransactionRow, PostedTransactionRow,
} from './ledgerRows.js';
import type { Metadata, PostingOperation } from './operations.js';
import type { AccountRole, Posted, Rejection } from './outcomes.js';
import type { AccountState, LockedReferences, OriginalTransaction, PlanSettings } from './planBatch.js';

// What a batch's plan has decided so far, shared by the deciders of each kind of operation
// (planBatch.ts, planHolds.ts, planReversals.ts): working copies of the locked accounts, holds and
// reversed originals, moved as operations are decided, and the rows the batch will write.

/** What a posted ledger transaction records, beyond its accounts. */
export interface Movement {
  type: LedgerTransactionRow['type'];
  amount: bigint;
  description: string | null;
  metadata: Metadata;
  holdId: string | null;
  reversesTransactionId: string | null;
}

export class PlanWork {
  readonly accounts = new Map<string, AccountState>();
  readonly changed = new Set<string>();
  readonly transactions: PostedTransactionRow[] = [];
  readonly entries: EntryRow[] = [];
  readonly events: OutboxEvent[] = [];
  readonly holds = new Map<string, HoldRow>();
  /** Holds created or changed by this batch, written once each. */
  readonly writtenHolds = new Set<string>();
  /** Of those, the holds this batch created: written whole, where the others get only their new state. */
  readonly newHolds = new Set<string>();
  readonly holdChanges: HoldChangeRow[] = [];
  /** Settings changed by the batch (each such account is in `changed` too) and their history rows. */
  readonly accountSettings: AccountSettingsRow[] = [];
  readonly accountHistory: AccountHistoryRow[] = [];
  readonly originals = new Map<string, OriginalTransaction>();

  constructor(
    locked: ReadonlyMap<string, AccountState>,
    references: LockedReferences,
    readonly now: Date,
    readonly settings: PlanSettings,
  ) {
    // Working copies: the planner moves them as it goes, the caller's rows stay as read.
    for (const [id, row] of locked) this.accounts.set(id, { ...row });
    for (const [id, hold] of references.holds) this.holds.set(id, { ...hold });
    for (const [id, original] of references.originals) this.originals.set(id, { ...original });
  }

  /** A wallet (user account) the request named, or why it cannot be used. */
  wallet(id: string, role: AccountRole): AccountState | Rejection {
    const account = this.accounts.get(id);
    if (account?.kind === 'user') return account;
    return { code: 'account_not_found', accountId: id, role, isSettlement: account !== undefined };
  }

  /** An account of an existing hold or transaction: locked by the batch, since it exists. */
  lockedAccount(id: string): AccountState {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`invariant: account ${id} was not locked`);
    return account;
  }

  /** What a wallet may still spend: its balance and overdraft limit less the money its pending holds reserve. */
  static available(account: AccountState): bigint {
    return account.balance + account.overdraft_limit - account.pending_debits;
  }

  insufficientFunds(source: AccountState, amount: bigint): Rejection | undefined {
    if (source.kind !== 'user' || PlanWork.available(source) >= amount) return undefined;
    return { code: 'insufficient_funds', accountId: source.id, currency: source.currency, availableBalance: PlanWork.available(source), amount };
  }

  /** Moves the money in the working copies and records the transaction, its entries and its `<type>.posted` event. */
  record(movement: Movement, source: AccountState, destination: AccountState): Posted<LedgerTransactionRow> {
    const transaction: LedgerTransactionRow = {
      id: newId(),
      type: movement.type,
      status: 'posted',
      amount: movement.amount,
      currency: source.currency,
      source_account_id: source.id,
      destination_account_id: destination.id,
      description: movement.description,
      metadata: movement.metadata,
      hold_id: movement.holdId,
      reverses_transaction_id: movement.reversesTransactionId,
      created_at: this.now,
    };
    const debit = this.entry(transaction.id, source, 'debit', -movement.amount);
    const credit = this.entry(transaction.id, destination, 'credit', movement.amount);
    this.transactions.push(transaction);
    this.entries.push(debit, credit);
    this.events.push(postedEvent(`${movement.type}.posted`, transaction.id, this.now, this.settings.routingKeyPrefix));
    return { kind: 'posted', transaction, entries: [debit, credit], replayed: false };
  }

  /** Changes what a hold reserves on its accounts (negative to release). */
  reserve(source: AccountState, destination: AccountState, change: bigint): void {
    source.pending_debits += change;
    destination.pending_credits += change;
    this.changed.add(source.id);
    this.changed.add(destination.id);
  }

  /** Records a hold this batch creates, with its first change. */
  addHold(hold: HoldRow, amount: bigint): void {
    this.newHolds.add(hold.id);
    this.changeHold(hold, amount, null);
  }

  /** Records a hold's new state: its row (written once per batch) and its appended change. */
  changeHold(hold: HoldRow, amount: bigint, transactionId: string | null): void {
    hold.updated_at = this.now;
    this.holds.set(hold.id, hold);
    this.writtenHolds.add(hold.id);
    this.holdChanges.push({ hold_id: hold.id, status: hold.status, amount, transaction_id: transactionId });
  }

  /** Moves `change` into the account's working copy and returns its entry (ids minted in call order). */
  entry(transactionId: string, account: AccountState, direction: 'debit' | 'credit', change: bigint): EntryRow {
    account.balance += change;
    account.version += 1n;
    this.changed.add(account.id);
    return {
      id: newId(),
      transaction_id: transactionId,
      account_id: account.id,
      direction,
      amount: change < 0n ? -change : change,
      balance_after: account.balance,
      sequence: account.version,
      created_at: this.now,
    };
  }
}

/** The accounts money leaves and enters, or the reason the operation is refused. */
export function resolveSides(
  work: PlanWork,
  operation: Pick<PostingOperation, 'kind' | 'currency'> & ({ accountId: string } | { sourceAccountId: string; destinationAccountId: string }),
): { source: AccountState; destination: AccountState } | Rejection {
  if ('sourceAccountId' in operation) {
    if (operation.sourceAccountId === operation.destinationAccountId) return { code: 'same_account' };
    const source = work.wallet(operation.sourceAccountId, 'source');
    if ('code' in source) return source;
    const destination = work.wallet(operation.destinationAccountId, 'destination');
    if ('code' in destination) return destination;
    if (source.currency !== destination.currency) {
      return { code: 'currencies_differ', sourceCurrency: source.currency, destinationCurrency: destination.currency };
    }
    return checkCurrency(operation.currency, source) ?? movementRefusal(source, destination, TRANSFER_ROLES) ?? { source, destination };
  }
  const wallet = work.wallet(operation.accountId, 'account');
  if ('code' in wallet) return wallet;
  const mismatch = checkCurrency(operation.currency, wallet);
  if (mismatch) return mismatch;
  const settlement = work.accounts.get(settlementAccountId(wallet.currency));
  if (!settlement) throw new Error(`invariant: settlement account for ${wallet.currency} was not locked`);
  const sides = operation.kind === 'deposit' ? { source: settlement, destination: wallet } : { source: wallet, destination: settlement };
  return movementRefusal(sides.source, sides.destination, WALLET_ROLES) ?? sides;
}

/** A movement between two named accounts: a transfer's, a multi-leg transaction's leg's. */
export const TRANSFER_ROLES = { source: 'source', destination: 'destination' } as const;
const WALLET_ROLES = { source: 'account', destination: 'account' } as const;

export function checkCurrency(currency: string | undefined, account: AccountState): Rejection | undefined {
  if (currency === undefined || currency === account.currency) return undefined;
  return { code: 'currency_mismatch', accountId: account.id, accountCurrency: account.currency, requestCurrency: currency };
}

/** A balance that would leave the range numeric(38, 0) holds. */
export function balanceOverflow(source: AccountState, destination: AccountState, amount: bigint): Rejection | undefined {
  if (destination.balance + amount > AMOUNT_MAX) return { code: 'balance_overflow', accountId: destination.id };
  if (source.balance - amount < -AMOUNT_MAX) return { code: 'balance_overflow', accountId: source.id };
  return undefined;
}

