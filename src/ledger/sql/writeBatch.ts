import type { PreparedStatement } from '../../db/oneSyncTransaction.js';
import type { BatchPlan } from '../planBatch.js';

// Writes everything a batch decided in one statement: new accounts, transactions, entries, one
// balance update per changed account, outbox events and stored idempotent outcomes. Each table
// is fed by unnest() over column arrays, so the statement's cost does not grow with round trips.
// The JSON columns (metadata, event payloads) and the stored response bodies travel as one JSON
// array each, not as text arrays: pg escapes every element of a text array with two regex passes
// (6% of the service's CPU); JSON.stringify writes one string natively. Bodies are well-formed
// and NUL-free (storableBody.ts), so they come back from JSON byte for byte. A posting's event and
// stored outcome carry its transaction's id instead of a body (JSON null): see migration
// postings-stored-by-reference.

const WRITE_BATCH_SQL = `
WITH new_accounts AS (
  INSERT INTO accounts (id, kind, currency, external_ref, metadata, created_at, updated_at)
  SELECT id, 'user', currency, external_ref, metadata, $1, $1
  FROM ROWS FROM (unnest($3::uuid[], $4::text[], $5::text[]), jsonb_array_elements($6::jsonb))
    AS a(id, currency, external_ref, metadata)
), new_transactions AS (
  INSERT INTO ledger_transactions
    (id, type, amount, currency, source_account_id, destination_account_id, description, metadata, created_at)
  SELECT *, $1 FROM ROWS FROM (unnest($7::uuid[], $8::text[], $9::numeric[], $10::text[], $11::uuid[], $12::uuid[],
    $13::text[]), jsonb_array_elements($14::jsonb))
), new_entries AS (
  INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
  SELECT *, $1 FROM unnest($15::uuid[], $16::uuid[], $17::uuid[], $18::text[], $19::numeric[], $20::numeric[],
    $21::bigint[])
), balance_updates AS (
  -- The id list again as an index condition: joined to unnest() alone, a plan made for the
  -- statement's first runs hashed the batch's rows and scanned every account (seen with
  -- auto_explain: 1 ms of a batch at 10,000 accounts).
  UPDATE accounts SET balance = u.balance, version = u.version, updated_at = $1
  FROM unnest($22::uuid[], $23::numeric[], $24::bigint[]) AS u(id, balance, version)
  WHERE accounts.id = u.id AND accounts.id = ANY($22::uuid[])
), new_events AS (
  -- A JSON null element is the jsonb value 'null'; the column's check wants SQL NULL.
  INSERT INTO outbox (event_id, event_type, routing_key, transaction_id, payload, created_at)
  SELECT event_id, event_type, routing_key, transaction_id, nullif(payload, 'null'), $1
  FROM ROWS FROM (unnest($25::uuid[], $26::text[], $27::text[], $28::uuid[]), jsonb_array_elements($29::jsonb))
    AS e(event_id, event_type, routing_key, transaction_id, payload)
), stored_outcomes AS (
  -- An expired key may still be on disk until the purge: it is overwritten. A live one is not:
  -- another writer won the key, fewer rows come back than were written, and the statement fails.
  INSERT INTO idempotency_keys AS k (key, fingerprint, status_code, transaction_id, response_body, created_at, expires_at)
  SELECT *, $1, $2 FROM ROWS FROM (unnest($30::text[], $31::text[], $32::smallint[], $33::uuid[]), json_array_elements_text($34::json))
  ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, status_code = excluded.status_code,
    transaction_id = excluded.transaction_id, response_body = excluded.response_body,
    created_at = excluded.created_at, expires_at = excluded.expires_at
  WHERE k.expires_at <= excluded.created_at
  RETURNING 1
)
SELECT assert_batch_locked() AS locked, assert_outcomes_stored(count(*)::int, $35) AS outcomes_stored FROM stored_outcomes`;

/**
 * The statement that writes a plan. It fails with SQLSTATE WL001 (an idempotency race, see
 * sqlstate.ts) when another writer stored an outcome under one of the plan's keys first: the
 * caller may commit without looking. It fails with WL003, writing nothing, outside a transaction
 * that a lock statement marked (lockBatch, lockAccountsAsPlanned), so that it can never run on its
 * own behind a lock that did not.
 */
export function writeBatch(plan: BatchPlan): PreparedStatement {
  const { newAccounts: a, transactions: t, entries: e, balanceUpdates: u, events: o, idempotencyRows: k } = plan;
  // Every row of a batch has the same time, so it travels once: the arrays carry only what differs.
  return {
    name: 'write_batch',
    text: WRITE_BATCH_SQL,
    values: [
      plan.now, plan.expiresAt,
      a.map((r) => r.id), a.map((r) => r.currency), a.map((r) => r.external_ref), JSON.stringify(a.map((r) => r.metadata)),
      t.map((r) => r.id), t.map((r) => r.type), t.map((r) => r.amount.toString()), t.map((r) => r.currency),
      t.map((r) => r.source_account_id), t.map((r) => r.destination_account_id), t.map((r) => r.description),
      JSON.stringify(t.map((r) => r.metadata)),
      e.map((r) => r.id), e.map((r) => r.transaction_id), e.map((r) => r.account_id), e.map((r) => r.direction),
      e.map((r) => r.amount.toString()), e.map((r) => r.balance_after.toString()), e.map((r) => r.sequence.toString()),
      u.map((r) => r.id), u.map((r) => r.balance.toString()), u.map((r) => r.version.toString()),
      o.map((r) => r.eventId), o.map((r) => r.eventType), o.map((r) => r.routingKey), o.map((r) => r.transactionId),
      JSON.stringify(o.map((r) => r.payload)),
      k.map((r) => r.key), k.map((r) => r.fingerprint), k.map((r) => r.statusCode), k.map((r) => r.transactionId),
      JSON.stringify(k.map((r) => r.body)),
      k.length,
    ],
  };
}
