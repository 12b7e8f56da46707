import { movementRefusal } from './accountControls.js';
import type { ReverseTransaction } from './operations.js';
import { rejected, type Posted, type Rejected } from './outcomes.js';
import { balanceOverflow, type PlanWork } from './planWork.js';

// Decides a reversal: it moves money back from the original's destination to its source, at most
// what is not yet reversed. The batch's working copy of the original counts each reversal decided
// before it, so that two reversals of one transaction in one batch see each other.

export function reverseTransaction(work: PlanWork, operation: ReverseTransaction): Posted | Rejected {
  const original = work.originals.get(operation.transactionId);
  if (!original) return rejected({ code: 'transaction_not_found', transactionId: operation.transactionId });
  const { transaction } = original;
  if (transaction.type === 'reversal') return rejected({ code: 'not_reversible', transactionId: transaction.id });
  const remaining = transaction.amount - original.reversedAmount;
  const amount = operation.amount ?? remaining;
  if (amount > remaining || amount === 0n) {
    return rejected({
      code: 'reversal_exceeds_original',
      transactionId: transaction.id,
      originalAmount: transaction.amount,
      reversedAmount: original.reversedAmount,
      amount,
    });
  }
  const source = work.lockedAccount(transaction.destination_account_id);
  const destination = work.lockedAccount(transaction.source_account_id);
  const refused = movementRefusal(source, destination, { source: 'account', destination: 'account' });
  if (refused) return rejected(refused);
  const short = work.insufficientFunds(source, amount);
  if (short) return rejected(short);
  const overflow = balanceOverflow(source, destination, amount);
  if (overflow) return rejected(overflow);
  original.reversedAmount += amount;
  return work.record({
    type: 'reversal',
    amount,
    description: operation.description,
    metadata: operation.metadata,
    holdId: null,
    reversesTransactionId: transaction.id,
  }, source, destination);
}
