import { createHmac, timingSafeEqual } from 'node:crypto';

// Messages are signed with HMAC-SHA256 over the exact body bytes, keyed by SECRET_KEY, so that a
// consumer can tell an event this service published from one anybody with broker access wrote.

/** The AMQP header carrying the signature, documented in docs/contracts/wallet-ledger-events.md. */
export const SIGNATURE_HEADER = 'x-wallet-signature';
/** The value names its algorithm, so that a later algorithm can be introduced side by side. */
const SIGNATURE_PREFIX = 'sha256=';

export function signBody(secretKey: string, body: Buffer): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secretKey).update(body).digest('hex');
}

/** Constant-time check of a received signature header against the body it came with. */
export function verifyBodySignature(secretKey: string, body: Buffer, header: unknown): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(secretKey, body));
  const received = Buffer.from(header);
  return expected.length === received.length && timingSafeEqual(expected, received);
}
