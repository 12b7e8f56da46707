// Outbox events: CloudEvents 1.0 JSON envelopes, built when the change is planned so that the
// event's id and time are fixed in the same database transaction as the change.

import { newId } from '../ids.js';
import { accountEventData, accountUpdatedEventData } from '../relay/eventData.js';
import type { AccountHistoryRow, AccountRow } from './ledgerRows.js';

export const EVENT_SOURCE = '/wallet-ledger-service';

export type LedgerEventType =
  | 'account.created'
  | 'account.updated'
  | 'deposit.posted'
  | 'withdrawal.posted'
  | 'transfer.posted'
  | 'reversal.posted'
  | 'multi_leg.posted'
  | 'hold.created'
  | 'hold.captured'
  | 'hold.voided'
  | 'hold.expired';

export interface OutboxEvent {
  eventId: string;
  eventType: LedgerEventType;
  routingKey: string;
  /** Null for a posting's or a hold's event: the relay renders it from the rows transactionId or holdId names. */
  payload: CloudEvent | null;
  transactionId: string | null;
  holdId: string | null;
  createdAt: Date;
  /** The W3C traceparent of the request that caused it, sent with the message. */
  traceparent?: string | null;
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: LedgerEventType;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: unknown;
  /** The CloudEvents distributed-tracing extension, present when the request that caused it had one. */
  traceparent?: string;
}

/**
 * An opened account's event, stored with its data: the account's row changes later, its event must
 * not. The data is rendered by the relay's renderer, which owns the event shapes.
 */
export function accountCreatedEvent(account: AccountRow, routingKeyPrefix: string): OutboxEvent {
  return buildEvent('account.created', account.id, accountEventData(account), account.created_at, routingKeyPrefix);
}

/** What an account.updated event says changed, most telling first: status, then overdraft limit, then metadata. */
export type AccountChange =
  | 'account.frozen'
  | 'account.unfrozen'
  | 'account.closed'
  | 'account.overdraft_limit_changed'
  | 'account.metadata_changed';

/** A PATCH's change of an account, stored with its data (the account as the change left it). */
export function accountUpdatedEvent(change: AccountChange, account: AccountRow, history: AccountHistoryRow, routingKeyPrefix: string): OutboxEvent {
  return buildEvent('account.updated', account.id, accountUpdatedEventData(change, account, history), account.updated_at, routingKeyPrefix);
}

export type HoldEventType = 'hold.created' | 'hold.captured' | 'hold.voided' | 'hold.expired';

/**
 * A hold's change, stored as the hold's id: the data is the hold as the change (named by the event
 * type) left it, with a capture's transaction, rendered by the relay from rows that never change
 * (src/relay/eventBodies.ts).
 */
export function holdEvent(eventType: HoldEventType, holdId: string, time: Date, routingKeyPrefix: string): OutboxEvent {
  return { ...referenceEvent(eventType, time, routingKeyPrefix), holdId };
}

/** An event whose data is stored with it. */
export function buildEvent(
  eventType: LedgerEventType,
  subject: string,
  data: unknown,
  time: Date,
  routingKeyPrefix: string,
): OutboxEvent {
  const eventId = newId();
  return {
    eventId,
    eventType,
    routingKey: `${routingKeyPrefix}.${eventType}`,
    createdAt: time,
    payload: cloudEvent(eventId, eventType, subject, time, data),
    transactionId: null,
    holdId: null,
  };
}

/**
 * A posting's event, stored as the id of its transaction: the data is the transaction with its
 * entries, immutable rows the relay reads when it publishes and renders (src/relay/eventBodies.ts).
 */
export function postedEvent(eventType: LedgerEventType, transactionId: string, time: Date, routingKeyPrefix: string): OutboxEvent {
  return { ...referenceEvent(eventType, time, routingKeyPrefix), transactionId };
}

/** An event whose data the relay renders from the rows it names. */
function referenceEvent(eventType: LedgerEventType, time: Date, routingKeyPrefix: string): OutboxEvent {
  return {
    eventId: newId(),
    eventType,
    routingKey: `${routingKeyPrefix}.${eventType}`,
    createdAt: time,
    payload: null,
    transactionId: null,
    holdId: null,
  };
}

export function cloudEvent(id: string, type: LedgerEventType, subject: string, time: Date, data: unknown): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: EVENT_SOURCE,
    type,
    time: time.toISOString(),
    subject,
    datacontenttype: 'application/json',
    data,
  };
}

/** The envelope with the CloudEvents `traceparent` extension attribute, when there is one. */
export function withTraceparent(envelope: CloudEvent, traceparent: string | null | undefined): CloudEvent {
  return traceparent ? { ...envelope, traceparent } : envelope;
}

/** Marks the events planned from `from` on with the traceparent of the request that caused them. */
export function traceEvents(events: OutboxEvent[], from: number, traceparent: string): void {
  for (let index = from; index < events.length; index++) {
    const event = events[index]!;
    event.traceparent = traceparent;
    if (event.payload) event.payload = withTraceparent(event.payload, traceparent);
  }
}
