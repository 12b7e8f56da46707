import { storedResponses } from '../../src/http/writeResponses.js';
import type { PlanSettings } from '../../src/ledger/planBatch.js';

/** Plan settings as the service builds them, with the HTTP answers stored under keys. */
export function planSettings(idempotencyTtlMs = 3_600_000, routingKeyPrefix = 'ledger'): PlanSettings {
  return { idempotencyTtlMs, routingKeyPrefix, storedResponses };
}
