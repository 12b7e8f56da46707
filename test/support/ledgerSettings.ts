import type pg from 'pg';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import { storedResponses } from '../../src/http/writeResponses.js';
import { createLedgerContext, type LedgerContext } from '../../src/ledger/ledgerContext.js';
import type { PlanSettings } from '../../src/ledger/planBatch.js';

/** Plan settings as the service builds them, with the HTTP answers stored under keys. */
export function planSettings(idempotencyTtlMs = 3_600_000, routingKeyPrefix = 'ledger'): PlanSettings {
  return { idempotencyTtlMs, routingKeyPrefix, storedResponses };
}

/** A ledger context on `pool` as the tests use it: the system clock, the service's settings, no logs. */
export function quietLedgerContext(pool: pg.Pool): LedgerContext {
  return createLedgerContext(pool, systemClock, planSettings(), pino({ level: 'silent' }));
}
