import type pg from 'pg';
import { cloudEvent, type LedgerEventType } from '../ledger/events.js';
import { transactionResource } from '../ledger/resources.js';
import { readTransactions } from '../ledger/sql/readTransactions.js';
import type { ClaimedEvent } from './sql/claimDueEvents.js';
import type { OutboxRow } from './sql/outboxRow.js';

// A posting's event is stored as its transaction's id (migration postings-stored-by-reference):
// its data is the transaction with its entries, rows that never change, read here once per claim
// for all the batch's events. The envelope is the one the write path would have stored, rendered
// the same way on every attempt, so a retry publishes the same bytes under the same signature.

/** The claimed events with every body in hand, in the claim's order. */
export async function withBodies(client: pg.PoolClient, claimed: ClaimedEvent[]): Promise<OutboxRow[]> {
  const ids = claimed.flatMap((event) => (event.transactionId ? [event.transactionId] : []));
  const transactions = ids.length === 0 ? new Map() : await readTransactions(client, ids);
  return claimed.map(({ transactionId, body, ...event }) => {
    if (body !== null) return { ...event, body };
    const posting = transactions.get(transactionId!);
    if (!posting) throw new Error(`invariant: event ${event.eventId} names transaction ${transactionId}, which does not exist`);
    const data = transactionResource(posting.transaction, posting.entries);
    const envelope = cloudEvent(event.eventId, event.eventType as LedgerEventType, transactionId!, event.createdAt, data);
    return { ...event, body: JSON.stringify(envelope) };
  });
}
