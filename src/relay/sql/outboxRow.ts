/** An outbox row as the relay handles it: the body is the stored envelope's text, sent as is. */
export interface OutboxRow {
  /** outbox.id, a bigint, kept as a string so no precision is lost. */
  id: string;
  eventId: string;
  eventType: string;
  routingKey: string;
  body: string;
  /** The W3C traceparent of the request that caused the event; null when it had none. */
  traceparent: string | null;
  /** Failed publish attempts so far. */
  attempts: number;
  createdAt: Date;
}
