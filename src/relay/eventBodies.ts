import type pg from 'pg';
import { cloudEvent, withTraceparent, type LedgerEventType } from '../ledger/events.js';
import type { PostedLedgerTransaction } from '../ledger/ledgerRows.js';
import { readLedgerTransactions } from '../ledger/sql/readLedgerTransactions.js';
import { ledgerTransactionEventData } from './eventData.js';
import type { ClaimedEvent } from './sql/claimDueEvents.js';
import type { OutboxRow } from './sql/outboxRow.js';

// A posting's event is stored as its transaction's id (migration postings-stored-by-reference):
// its data is the transaction with its entries, rows that never change, read here once per claim
// for all the batch's events. The envelope is the one the write path would have stored, rendered
// the same way on every attempt, so a retry publishes the same bytes under the same signature.

/** The claimed events with every body in hand, in the claim's order. */
export async function withBodies(client: pg.PoolClient, claimed: ClaimedEvent[]): Promise<OutboxRow[]> {
  const ids = claimed.flatMap((event) => (event.transactionId ? [event.transactionId] : []));
  const transactions = ids.length === 0 ? new Map<string, PostedLedgerTransaction>() : await readLedgerTransactions(client, ids);
  return claimed.map(({ transactionId, body, ...event }) => {
    if (body !== null) return { ...event, body };
    const posting = transactions.get(transactionId!);
    if (!posting) throw new Error(`invariant: event ${event.eventId} names transaction ${transactionId}, which does not exist`);
    return { ...event, body: postedEventBody(event.eventId, event.eventType as LedgerEventType, event.createdAt, posting, event.traceparent) };
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
