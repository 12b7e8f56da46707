import type pg from 'pg';
import { cloudEvent, withTraceparent, type HoldEventType, type LedgerEventType } from '../ledger/events.js';
import type { HoldStatus, PostedLedgerTransaction } from '../ledger/ledgerRows.js';
import { holdAsChanged, readHoldHistories, type HoldHistory } from '../ledger/sql/readHoldHistories.js';
import { readLedgerTransactions } from '../ledger/sql/readLedgerTransactions.js';
import { holdCapturedEventData, holdEventData, ledgerTransactionEventData } from './eventData.js';
import type { ClaimedEvent } from './sql/claimDueEvents.js';
import type { OutboxRow } from './sql/outboxRow.js';

// A posting's event is stored as its transaction's id (migration postings-stored-by-reference), a
// hold's as the hold's id (holds-stored-by-reference): the data is rendered here from rows
// that never change, read once per claim for all the batch's events. The envelope is the one the
// write path would have stored, rendered the same way on every attempt, so a retry publishes the
// same bytes under the same signature.

/** The change each hold event announces. */
const HOLD_EVENT_CHANGES: Record<HoldEventType, HoldStatus> = {
  'hold.created': 'pending',
  'hold.captured': 'captured',
  'hold.voided': 'voided',
  'hold.expired': 'expired',
};

/** The claimed events with every body in hand, in the claim's order. */
export async function withBodies(client: pg.PoolClient, claimed: ClaimedEvent[]): Promise<OutboxRow[]> {
  const holdIds = claimed.flatMap((event) => (event.holdId ? [event.holdId] : []));
  const holds = holdIds.length === 0 ? new Map<string, HoldHistory>() : await readHoldHistories(client, holdIds);
  const captures = [...holds.values()].flatMap(({ changes }) => changes.get('captured')?.transaction_id ?? []);
  const ids = [...claimed.flatMap((event) => (event.transactionId ? [event.transactionId] : [])), ...captures];
  const transactions = ids.length === 0 ? new Map<string, PostedLedgerTransaction>() : await readLedgerTransactions(client, ids);
  const posting = (event: { eventId: string }, id: string) => {
    const found = transactions.get(id);
    if (!found) throw new Error(`invariant: event ${event.eventId} names transaction ${id}, which does not exist`);
    return found;
  };
  return claimed.map(({ transactionId, holdId, body, ...event }) => {
    if (body !== null) return { ...event, body };
    const eventType = event.eventType as LedgerEventType;
    if (transactionId) {
      return { ...event, body: postedEventBody(event.eventId, eventType, event.createdAt, posting(event, transactionId), event.traceparent) };
    }
    const history = holds.get(holdId!);
    const hold = history && holdAsChanged(history, HOLD_EVENT_CHANGES[eventType as HoldEventType]);
    if (!hold) throw new Error(`invariant: event ${event.eventId} names a ${eventType} of hold ${holdId}, which does not exist`);
    const capture = hold.capture_transaction_id === null ? undefined : posting(event, hold.capture_transaction_id);
    const data = capture ? holdCapturedEventData(hold, capture.transaction, capture.entries) : holdEventData(hold);
    return { ...event, body: JSON.stringify(withTraceparent(cloudEvent(event.eventId, eventType, hold.id, hold.updated_at, data), event.traceparent)) };
  });
}

/** A posting's message body: the same bytes for the same rows, on every attempt. */
export function postedEventBody(
  eventId: string,
  eventType: LedgerEventType,
  time: Date,
  posting: PostedLedgerTransaction,
  traceparent: string | null = null,
): string {
  const data = ledgerTransactionEventData(posting.transaction, posting.entries);
  return JSON.stringify(withTraceparent(cloudEvent(eventId, eventType, posting.transaction.id, time, data), traceparent));
}
