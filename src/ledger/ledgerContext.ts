import type pg from 'pg';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { noBatchesYet, type BatchCounters } from './batchCounters.js';
import { CommittedAccounts } from './committedAccounts.js';
import { CommittedHolds } from './committedHolds.js';
import { OneRoundTripGate } from './oneRoundTripGate.js';
import type { PlanSettings } from './planBatch.js';
import type { AccountKind } from './sql/readAccountKinds.js';

/** Cached account kinds: enough for hot sets, small enough to never matter for memory. */
const KNOWN_ACCOUNTS_MAX = 100_000;

/** What the write path needs, created once per process (or per partition worker). */
export interface LedgerContext {
  pool: pg.Pool;
  clock: Clock;
  settings: PlanSettings;
  logger: Logger;
  /** Account id to kind and currency, which never change once an account exists. */
  knownAccounts: Map<string, AccountKind>;
  /** Currencies whose settlement account is known to exist. */
  settledCurrencies: Set<string>;
  /** Account states to plan against without reading them first (applyBatch's one-round-trip path). */
  committedAccounts: CommittedAccounts;
  /** Pending holds to decide captures, voids and expiries against without reading them first. */
  committedHolds: CommittedHolds;
  /** Whether to try one round trip, and how many batches did or fell back. */
  oneRoundTrip: OneRoundTripGate;
  counters: BatchCounters;
}

export function createLedgerContext(pool: pg.Pool, clock: Clock, settings: PlanSettings, logger: Logger): LedgerContext {
  return {
    pool,
    clock,
    settings,
    logger,
    knownAccounts: new Map(),
    settledCurrencies: new Set(),
    committedAccounts: new CommittedAccounts(),
    committedHolds: new CommittedHolds(),
    oneRoundTrip: new OneRoundTripGate(),
    counters: noBatchesYet(),
  };
}

export function rememberAccounts(context: LedgerContext, found: Map<string, AccountKind>): void {
  if (context.knownAccounts.size + found.size > KNOWN_ACCOUNTS_MAX) context.knownAccounts.clear();
  for (const [id, kind] of found) context.knownAccounts.set(id, kind);
}
