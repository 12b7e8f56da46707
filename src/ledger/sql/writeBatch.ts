import type pg from 'pg';
import { unquotedArray } from '../../db/arrayLiteral.js';
import { functionCall } from '../../db/functionCall.js';
import type { BatchPlan } from '../planBatch.js';

// Writes everything a batch decided in one statement, write_batch_v5 (migrations/*_hold-state-written-alone.sql):
// new accounts, transactions, entries, one balance update per changed account (with its pending
// sums, and the settings a PATCH changed), account history, new holds, the new state of holds made
// before, hold changes, outbox events (with their traceparents) and stored idempotent outcomes.
// Each table is fed by unnest() over column arrays, so the statement's
// cost does not grow with round trips. The JSON columns (metadata, event payloads) and the stored
// response bodies travel as one JSON array each, not as text arrays: pg escapes every element of a
// text array with regular expressions, while JSON.stringify writes one string natively. Bodies are
// well-formed and NUL-free (storableBody.ts), so they come back from JSON byte for byte. A
// posting's event and stored outcome carry its transaction's id instead of a body (JSON null), a
// hold's its hold's id.

const WRITE_BATCH_SQL = functionCall('write_batch_v5', 63);

/**
 * The statement that writes a plan, inside the database transaction that locked its accounts
 * (lockBatch). It fails with SQLSTATE WL001 (an idempotency race, see sqlstate.ts) when another
 * writer stored an outcome under one of the plan's keys first, so the caller may send COMMIT
 * without looking. It fails with WL003, writing nothing, outside a transaction that a lock
 * statement marked, so that it can never run on its own behind a lock that did not.
 */
export function writeBatch(plan: BatchPlan): pg.QueryConfig {
  return { name: 'write_batch', text: WRITE_BATCH_SQL, values: writeValues(plan) };
}

/** write_batch_v5's parameters, in its order. Account settings and history travel as JSON arrays of records. */
export function writeValues(plan: BatchPlan): unknown[] {
  const { newAccounts: a, transactions: t, entries: e, balanceUpdates: u, events: o, idempotencyRows: k } = plan;
  const { newHolds, changedHolds, holdChanges } = plan;
  // Every row of a batch has the same time, so it travels once: the arrays carry only what differs.
  return [
    plan.now, plan.expiresAt,
    unquotedArray(a.map((r) => r.id)), a.map((r) => r.currency), a.map((r) => r.external_ref), JSON.stringify(a.map((r) => r.metadata)),
    unquotedArray(t.map((r) => r.id)), t.map((r) => r.type), unquotedArray(t.map((r) => r.amount)), t.map((r) => r.currency),
    unquotedArray(t.map((r) => r.source_account_id)), unquotedArray(t.map((r) => r.destination_account_id)), t.map((r) => r.description),
    JSON.stringify(t.map((r) => r.metadata)),
    unquotedArray(e.map((r) => r.id)), unquotedArray(e.map((r) => r.transaction_id)), unquotedArray(e.map((r) => r.account_id)),
    e.map((r) => r.direction), unquotedArray(e.map((r) => r.amount)), unquotedArray(e.map((r) => r.balance_after)),
    unquotedArray(e.map((r) => r.sequence)),
    unquotedArray(u.map((r) => r.id)), unquotedArray(u.map((r) => r.balance)), unquotedArray(u.map((r) => r.version)),
    unquotedArray(o.map((r) => r.eventId)), o.map((r) => r.eventType), o.map((r) => r.routingKey), unquotedArray(o.map((r) => r.transactionId)),
    JSON.stringify(o.map((r) => r.payload)),
    k.map((r) => r.key), k.map((r) => r.fingerprint), unquotedArray(k.map((r) => r.statusCode)), unquotedArray(k.map((r) => r.transactionId)),
    JSON.stringify(k.map((r) => r.body)),
    k.length,
    t.map((r) => r.hold_id), t.map((r) => r.reverses_transaction_id),
    u.map((r) => r.pendingDebits.toString()), u.map((r) => r.pendingCredits.toString()),
    unquotedArray(newHolds.map((r) => r.id)), unquotedArray(newHolds.map((r) => r.source_account_id)),
    unquotedArray(newHolds.map((r) => r.destination_account_id)), unquotedArray(newHolds.map((r) => r.amount)),
    unquotedArray(newHolds.map((r) => r.captured_amount)), newHolds.map((r) => r.currency), newHolds.map((r) => r.status),
    unquotedArray(newHolds.map((r) => r.expires_at.toISOString())), unquotedArray(newHolds.map((r) => r.capture_transaction_id)),
    newHolds.map((r) => r.description), JSON.stringify(newHolds.map((r) => r.metadata)),
    unquotedArray(changedHolds.map((r) => r.id)), changedHolds.map((r) => r.status), unquotedArray(changedHolds.map((r) => r.captured_amount)),
    unquotedArray(changedHolds.map((r) => r.capture_transaction_id)),
    unquotedArray(holdChanges.map((r) => r.hold_id)), holdChanges.map((r) => r.status), unquotedArray(holdChanges.map((r) => r.amount)),
    unquotedArray(holdChanges.map((r) => r.transaction_id)),
    JSON.stringify(plan.accountSettings.map((s) => ({ ...s, overdraft_limit: s.overdraft_limit?.toString() }))),
    JSON.stringify(plan.accountHistory.map((h) => ({ ...h, version: h.version.toString() }))),
    o.map((r) => r.traceparent ?? null),
    unquotedArray(o.map((r) => r.holdId)),
    unquotedArray(k.map((r) => r.holdId)),
  ];
}
