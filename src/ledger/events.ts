// Outbox events: CloudEvents 1.0 JSON envelopes, built when the change is planned so that the
// event's id and time are fixed in the same database transaction as the change.

import { newId } from '../ids.js';

export const EVENT_SOURCE = '/wallet-ledger-service';

export type LedgerEventType = 'account.created' | 'deposit.posted' | 'withdrawal.posted' | 'transfer.posted';

export interface OutboxEvent {
  eventId: string;
  eventType: LedgerEventType;
  routingKey: string;
  payload: CloudEvent;
  createdAt: Date;
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
}

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
    payload: {
      specversion: '1.0',
      id: eventId,
      source: EVENT_SOURCE,
      type: eventType,
      time: time.toISOString(),
      subject,
      datacontenttype: 'application/json',
      data,
    },
  };
}
