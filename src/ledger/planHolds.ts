import { settlementAccountId } from '../ids.js';
import { AMOUNT_MAX } from '../money.js';
import { debitRefusal } from './accountControls.js';
import { holdEvent } from './events.js';
import type { HoldRow, HoldStatus } from './ledgerRows.js';
import type { CaptureHold, CreateHold, ExpireHold, VoidHold } from './operations.js';
import { rejected, type HoldChanged, type Posted, type Rejected, type Rejection } from './outcomes.js';
import type { AccountState } from './planBatch.js';
import { balanceOverflow, checkCurrency, type PlanWork, resolveSides } from './planWork.js';

// Decides the operations on holds against the batch's working state (PlanWork). A hold reserves
// its amount on both accounts' pending sums; a capture posts a transaction and releases the whole
// reservation, a void or an expiry releases it. The money was reserved when the hold was created,
// so a capture does not check the source's available balance again.

export function createHold(work: PlanWork, operation: CreateHold): HoldChanged | Rejected {
  const sides = holdSides(work, operation);
  if ('code' in sides) return rejected(sides);
  const { source, destination } = sides;
  const short = work.insufficientFunds(source, operation.amount);
  if (short) return rejected(short);
  if (destination.pending_credits + operation.amount > AMOUNT_MAX) return rejected({ code: 'balance_overflow', accountId: destination.id });
  work.reserve(source, destination, operation.amount);
  const hold: HoldRow = {
    id: operation.holdId,
    source_account_id: source.id,
    destination_account_id: destination.id,
    amount: operation.amount,
    captured_amount: 0n,
    currency: source.currency,
    status: 'pending',
    expires_at: operation.expiresAt,
    capture_transaction_id: null,
    description: operation.description,
    metadata: operation.metadata,
    created_at: work.now,
    updated_at: work.now,
  };
  work.addHold(hold, operation.amount);
  work.events.push(holdEvent('hold.created', hold.id, hold.updated_at, work.settings.routingKeyPrefix));
  return { kind: 'hold_changed', change: 'created', hold: { ...hold }, replayed: false };
}

export function captureHold(work: PlanWork, operation: CaptureHold): Posted | Rejected {
  const hold = pendingHold(work, operation.holdId);
  if ('code' in hold) return rejected(hold);
  const amount = operation.amount ?? hold.amount;
  if (amount > hold.amount) return rejected({ code: 'capture_exceeds_hold', holdId: hold.id, holdAmount: hold.amount, amount });
  const source = work.lockedAccount(hold.source_account_id);
  const destination = work.lockedAccount(hold.destination_account_id);
  const overflow = balanceOverflow(source, destination, amount);
  if (overflow) return rejected(overflow);
  // One capture per hold: what it does not take is released with the rest of the reservation.
  work.reserve(source, destination, -hold.amount);
  const posted = work.record({
    type: destination.kind === 'settlement' ? 'withdrawal' : 'transfer',
    amount,
    description: hold.description,
    metadata: hold.metadata,
    holdId: hold.id,
    reversesTransactionId: null,
  }, source, destination);
  const captured: HoldRow = { ...hold, status: 'captured', captured_amount: amount, capture_transaction_id: posted.transaction.id };
  work.changeHold(captured, amount, posted.transaction.id);
  work.events.push(holdEvent('hold.captured', captured.id, captured.updated_at, work.settings.routingKeyPrefix));
  return posted;
}

/** A void, or the sweep's expiry (which only expires a pending hold already due). */
export function releaseHold(work: PlanWork, operation: VoidHold | ExpireHold): HoldChanged | Rejected {
  const hold = operation.kind === 'void_hold' ? pendingHold(work, operation.holdId) : dueHold(work, operation.holdId);
  if ('code' in hold) return rejected(hold);
  const change = operation.kind === 'void_hold' ? 'voided' : 'expired';
  const source = work.lockedAccount(hold.source_account_id);
  const destination = work.lockedAccount(hold.destination_account_id);
  work.reserve(source, destination, -hold.amount);
  const released: HoldRow = { ...hold, status: change };
  work.changeHold(released, hold.amount, null);
  work.events.push(holdEvent(`hold.${change}`, released.id, released.updated_at, work.settings.routingKeyPrefix));
  return { kind: 'hold_changed', change, hold: { ...released }, replayed: false };
}

/** The hold when it is still pending at the batch's time, or why it is not. */
function pendingHold(work: PlanWork, holdId: string): HoldRow | Rejection {
  const hold = work.holds.get(holdId);
  if (!hold) return { code: 'hold_not_found', holdId };
  const status = statusAt(hold, work.now);
  if (status !== 'pending') return { code: 'hold_not_pending', holdId, status };
  return hold;
}

/** The hold when it is pending and due to expire at the batch's time (the sweep read it so), or why not. */
function dueHold(work: PlanWork, holdId: string): HoldRow | Rejection {
  const hold = work.holds.get(holdId);
  if (!hold) return { code: 'hold_not_found', holdId };
  if (hold.status !== 'pending') return { code: 'hold_not_pending', holdId, status: hold.status };
  // Not yet due: the sweep's clock ran ahead of this writer's; a later sweep expires it.
  if (hold.expires_at > work.now) return { code: 'hold_not_pending', holdId, status: 'expired' };
  return hold;
}

/** A pending hold past its expiry counts as expired, whether or not the sweep has run. */
export function statusAt(hold: Pick<HoldRow, 'status' | 'expires_at'>, now: Date): HoldStatus {
  return hold.status === 'pending' && hold.expires_at <= now ? 'expired' : hold.status;
}

/** A hold's accounts: its destination wallet, or the settlement account of a hold for a withdrawal. */
function holdSides(work: PlanWork, operation: CreateHold): { source: AccountState; destination: AccountState } | Rejection {
  const { sourceAccountId, destinationAccountId, currency } = operation;
  if (destinationAccountId !== null) return resolveSides(work, { kind: 'transfer', currency, sourceAccountId, destinationAccountId });
  const source = work.wallet(sourceAccountId, 'source');
  if ('code' in source) return source;
  const mismatch = checkCurrency(currency, source);
  if (mismatch) return mismatch;
  return debitRefusal(source, 'source') ?? { source, destination: work.lockedAccount(settlementAccountId(source.currency)) };
}
