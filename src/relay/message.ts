import type { Options } from 'amqplib';
import type { OutboxRow } from './sql/outboxRow.js';
import { SIGNATURE_HEADER, signBody } from './signature.js';

// How an outbox row becomes an AMQP message. The body is the stored CloudEvents envelope's text,
// sent byte for byte, so the signature covers exactly what the consumer receives.

export const APP_ID = 'wallet-ledger-service';
const CONTENT_TYPE = 'application/json';
export const TRACEPARENT_HEADER = 'traceparent';

export interface OutgoingMessage {
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

export function toMessage(row: OutboxRow, secretKey: string | undefined): OutgoingMessage {
  const content = Buffer.from(row.body, 'utf8');
  const headers: Record<string, string> = {};
  if (secretKey) headers[SIGNATURE_HEADER] = signBody(secretKey, content);
  // Also a header, beside the CloudEvents attribute in the body: where AMQP instrumentation
  // (OpenTelemetry's amqplib one, for one) looks for the context it continues.
  if (row.traceparent) headers[TRACEPARENT_HEADER] = row.traceparent;
  return {
    routingKey: row.routingKey,
    content,
    options: {
      persistent: true,
      messageId: row.eventId,
      type: row.eventType,
      contentType: CONTENT_TYPE,
      contentEncoding: 'utf-8',
      appId: APP_ID,
      // AMQP timestamps are whole seconds since the epoch: when the change was committed.
      timestamp: Math.floor(row.createdAt.getTime() / 1000),
      headers,
    },
  };
}
