import { newId, settlementAccountId } from '../ids.js';
import { movementRefusal } from './accountControls.js';
import { postedEvent } from './events.js';
import type { EntryRow, LegRow, MultiLegTransactionRow } from './ledgerRows.js';
import { legsOfEntries } from './legsOfEntries.js';
import type { Leg, PostMultiLeg } from './operations.js';
import type { AccountKind } from './sql/readAccountKinds.js';
import { rejected, type AccountRole, type Posted, type Rejected, type Rejection } from './outcomes.js';
import type { AccountState } from './planBatch.js';
import { balanceOverflow, checkCurrency, TRANSFER_ROLES, type PlanWork } from './planWork.js';

// Decides a multi-leg transaction: every leg is decided in order against balances that the legs
// before it have moved, and nothing is recorded until all are decided, so that one refused leg
// refuses the whole and leaves the batch's working state as it found it. Balances are checked
// once all legs are applied: a wallet that an earlier leg funds may pay in a later one.
//
// Each leg is a debit and a credit of one currency, so each currency balances by construction.
// The legs are stored as their entries (migrations/*_multi-leg-transactions.sql): a debit and a
// credit per leg, minted here in leg order, so that ordering the entries by id gives the legs back
// (legsOfEntries.ts).

interface DecidedLeg {
  source: AccountState;
  destination: AccountState;
  amount: bigint;
}

export function postMultiLeg(work: PlanWork, operation: PostMultiLeg): Posted<MultiLegTransactionRow> | Rejected {
  const decided = decideLegs(work, operation.legs);
  if ('code' in decided) return rejected(decided);
  const transaction: MultiLegTransactionRow = {
    id: newId(),
    type: 'multi_leg',
    status: 'posted',
    amount: null,
    currency: null,
    source_account_id: null,
    destination_account_id: null,
    description: operation.description,
    metadata: operation.metadata,
    hold_id: null,
    reverses_transaction_id: null,
    created_at: work.now,
    legs: decided.map(({ source, destination, amount }) => ({
      source_account_id: source.id, destination_account_id: destination.id, amount, currency: source.currency,
    })),
  };
  const entries = decided.flatMap(({ source, destination, amount }) => [
    work.entry(transaction.id, source, 'debit', -amount),
    work.entry(transaction.id, destination, 'credit', amount),
  ]);
  assertLegsBalanced(transaction.legs, entries, work);
  work.transactions.push(transaction);
  work.entries.push(...entries);
  work.events.push(postedEvent('multi_leg.posted', transaction.id, work.now, work.settings.routingKeyPrefix));
  return { kind: 'posted', transaction, entries, replayed: false };
}

/** The legs' accounts in order, or the first refused leg's reason. Changes nothing in `work`. */
function decideLegs(work: PlanWork, legs: readonly Leg[]): DecidedLeg[] | Rejection {
  const balances = new Map<string, bigint>();
  /** The last leg that debits each account: the one named when the account ends short. */
  const lastDebitLeg = new Map<string, number>();
  const decided: DecidedLeg[] = [];
  for (const [index, leg] of legs.entries()) {
    const sides = legSides(work, leg);
    if ('code' in sides) return refusedLeg(index, sides);
    const source = { ...sides.source, balance: balances.get(sides.source.id) ?? sides.source.balance };
    const destination = { ...sides.destination, balance: balances.get(sides.destination.id) ?? sides.destination.balance };
    const overflow = balanceOverflow(source, destination, leg.amount);
    if (overflow) return refusedLeg(index, overflow);
    balances.set(source.id, source.balance - leg.amount);
    balances.set(destination.id, destination.balance + leg.amount);
    lastDebitLeg.set(source.id, index);
    decided.push({ source: sides.source, destination: sides.destination, amount: leg.amount });
  }
  for (const [accountId, index] of lastDebitLeg) {
    const account = work.lockedAccount(accountId);
    const outflow = account.balance - balances.get(accountId)!;
    const short = outflow > 0n ? work.insufficientFunds(account, outflow) : undefined;
    if (short) return refusedLeg(index, short);
  }
  return decided;
}

function refusedLeg(leg: number, rejection: Rejection): Rejection {
  return { code: 'leg_refused', leg, rejection };
}

/** A leg's two accounts, of one currency (the request's, when it names one), or why not. */
function legSides(work: PlanWork, leg: Leg): { source: AccountState; destination: AccountState } | Rejection {
  if (leg.sourceAccountId === leg.destinationAccountId) return { code: 'same_account' };
  const source = legAccount(work, leg.sourceAccountId, 'source');
  if ('code' in source) return source;
  const destination = legAccount(work, leg.destinationAccountId, 'destination');
  if ('code' in destination) return destination;
  if (source.currency !== destination.currency) {
    return { code: 'currencies_differ', sourceCurrency: source.currency, destinationCurrency: destination.currency };
  }
  return checkCurrency(leg.currency, source) ?? movementRefusal(source, destination, TRANSFER_ROLES) ?? { source, destination };
}

/** A wallet (as any posting takes it) or a settlement account: a leg may name either. */
function legAccount(work: PlanWork, id: string, role: AccountRole): AccountState | Rejection {
  const account = work.accounts.get(id);
  return account?.kind === 'settlement' ? account : work.wallet(id, role);
}

/** Broken invariants here are bugs: each leg's entries are its own, and each currency nets to zero. */
function assertLegsBalanced(legs: readonly LegRow[], entries: readonly EntryRow[], work: PlanWork): void {
  const net = new Map<string, bigint>();
  for (const entry of entries) {
    const currency = work.lockedAccount(entry.account_id).currency;
    net.set(currency, (net.get(currency) ?? 0n) + (entry.direction === 'credit' ? entry.amount : -entry.amount));
  }
  for (const [currency, sum] of net) {
    if (sum !== 0n) throw new Error(`invariant: a multi-leg transaction's ${currency} entries differ by ${sum}`);
  }
  if (!legsOfEntries(entries, (id) => work.lockedAccount(id).currency).every((leg, index) => sameLeg(leg, legs[index]!))) {
    throw new Error('invariant: a multi-leg transaction\'s entries do not pair into its legs');
  }
}

function sameLeg(a: LegRow, b: LegRow): boolean {
  return a.source_account_id === b.source_account_id && a.destination_account_id === b.destination_account_id
    && a.amount === b.amount && a.currency === b.currency;
}

/**
 * The currencies whose settlement account a leg pays or is paid by, against a wallet of that
 * currency: the writer makes sure they exist (as for a deposit) before it locks them.
 */
export function legSettlementCurrencies(operation: PostMultiLeg, knownAccounts: ReadonlyMap<string, AccountKind>): string[] {
  return operation.legs.flatMap((leg) => [[leg.sourceAccountId, leg.destinationAccountId], [leg.destinationAccountId, leg.sourceAccountId]])
    .flatMap(([walletId, otherId]) => {
      const wallet = knownAccounts.get(walletId!);
      return wallet?.kind === 'user' && otherId === settlementAccountId(wallet.currency) ? [wallet.currency] : [];
    });
}
