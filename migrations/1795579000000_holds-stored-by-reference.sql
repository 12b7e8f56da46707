-- Up Migration

-- A hold event's data is the hold as its change left it, and for hold.captured also the capture's
-- transaction with its entries. Every part of it is in rows that are never rewritten: the hold's
-- fixed columns (below), its change (status, amount, transaction, time), the ledger rows. Stored as
-- JSON in the outbox it was up to 2 KB per event, parsed and written inside the batch statement.
-- Such events now keep only the hold's id, as a posting's keeps its transaction's; the relay renders
-- the data (src/relay/eventBodies.ts), the event type naming the change. Older builds' rows keep
-- their payloads. Exactly one of payload, transaction_id and hold_id is set.
-- The same for a hold's stored answer (a created or voided hold): the key names the hold, and a
-- replay renders the hold as the change the repeated request made left it.
ALTER TABLE idempotency_keys
  ADD COLUMN hold_id uuid,
  DROP CONSTRAINT idempotency_keys_body_or_transaction,
  ADD CONSTRAINT idempotency_keys_one_body CHECK (num_nonnulls(response_body, transaction_id, hold_id) = 1);
ALTER TABLE outbox
  ADD COLUMN hold_id uuid,
  DROP CONSTRAINT outbox_payload_or_transaction,
  ADD CONSTRAINT outbox_one_body CHECK (num_nonnulls(payload, transaction_id, hold_id) = 1);
ALTER TABLE dead_letter
  ADD COLUMN hold_id uuid,
  DROP CONSTRAINT dead_letter_payload_or_transaction,
  ADD CONSTRAINT dead_letter_one_body CHECK (num_nonnulls(payload, transaction_id, hold_id) = 1);

-- What a hold is never changes once created; only its state does (status, captured_amount,
-- capture_transaction_id, updated_at), and each state is also appended to hold_changes. A trigger
-- on those columns only fires for an UPDATE that names them, which the service's never does.
CREATE FUNCTION reject_hold_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'hold % is fixed once created: only its state changes', OLD.id
    USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER holds_fixed BEFORE UPDATE OF source_account_id, destination_account_id, amount, currency, expires_at,
  description, metadata, created_at ON holds
  FOR EACH ROW WHEN ((OLD.source_account_id, OLD.destination_account_id, OLD.amount, OLD.currency, OLD.expires_at,
    OLD.description, OLD.metadata, OLD.created_at) IS DISTINCT FROM (NEW.source_account_id, NEW.destination_account_id,
    NEW.amount, NEW.currency, NEW.expires_at, NEW.description, NEW.metadata, NEW.created_at))
  EXECUTE FUNCTION reject_hold_rewrite();

-- write_batch_v3's parameters, then the hold each event names ($45) and the hold each stored
-- outcome names ($46), null but for holds.
-- write_batch_v3 and commit_planned_batch_v3 stay for older builds.
CREATE FUNCTION write_batch_v4(
  timestamptz, timestamptz,
  uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[],
  uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb,
  text[], text[], smallint[], uuid[], json,
  integer,
  uuid[], uuid[], numeric[], numeric[], jsonb, jsonb,
  jsonb, jsonb, text[],
  uuid[], uuid[]
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  stored integer;
BEGIN
  PERFORM assert_batch_locked();
  WITH new_accounts AS (
    INSERT INTO accounts (id, kind, currency, external_ref, metadata, created_at, updated_at)
    SELECT id, 'user', currency, external_ref, metadata, $1, $1
    FROM ROWS FROM (unnest($3::uuid[], $4::text[], $5::text[]), jsonb_array_elements($6::jsonb))
      AS a(id, currency, external_ref, metadata)
  ), new_transactions AS (
    INSERT INTO ledger_transactions
      (id, type, amount, currency, source_account_id, destination_account_id, description, metadata,
       hold_id, reverses_transaction_id, created_at)
    SELECT *, $1 FROM ROWS FROM (unnest($7::uuid[], $8::text[], $9::numeric[], $10::text[], $11::uuid[], $12::uuid[],
      $13::text[]), jsonb_array_elements($14::jsonb), unnest($36::uuid[], $37::uuid[]))
  ), new_entries AS (
    INSERT INTO ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
    SELECT *, $1 FROM unnest($15::uuid[], $16::uuid[], $17::uuid[], $18::text[], $19::numeric[], $20::numeric[],
      $21::bigint[])
  ), account_updates AS (
    UPDATE accounts SET balance = u.balance, version = u.version, pending_debits = u.pending_debits,
      pending_credits = u.pending_credits, updated_at = $1,
      status = coalesce(s.status, accounts.status),
      overdraft_limit = coalesce(s.overdraft_limit, accounts.overdraft_limit),
      metadata = coalesce(s.metadata, accounts.metadata)
    FROM unnest($22::uuid[], $23::numeric[], $24::bigint[], $38::numeric[], $39::numeric[])
      AS u(id, balance, version, pending_debits, pending_credits)
    LEFT JOIN jsonb_to_recordset($42::jsonb) AS s(id uuid, status text, overdraft_limit numeric, metadata jsonb)
      ON s.id = u.id
    WHERE accounts.id = u.id AND accounts.id = ANY($22::uuid[])
  ), new_history AS (
    INSERT INTO account_history (account_id, version, request_id, changes, created_at)
    SELECT account_id, version, request_id, changes, $1
    FROM jsonb_to_recordset($43::jsonb) AS h(account_id uuid, version bigint, request_id text, changes jsonb)
  ), new_events AS (
    INSERT INTO outbox (event_id, event_type, routing_key, transaction_id, hold_id, payload, traceparent, created_at)
    SELECT event_id, event_type, routing_key, transaction_id, hold_id, nullif(payload, 'null'), traceparent, $1
    FROM ROWS FROM (unnest($25::uuid[], $26::text[], $27::text[], $28::uuid[], $45::uuid[]), jsonb_array_elements($29::jsonb),
      unnest($44::text[]))
      AS e(event_id, event_type, routing_key, transaction_id, hold_id, payload, traceparent)
  ), written_holds AS (
    INSERT INTO holds AS h (id, source_account_id, destination_account_id, amount, captured_amount, currency, status,
      expires_at, capture_transaction_id, description, metadata, created_at, updated_at)
    SELECT id, source_account_id, destination_account_id, amount, captured_amount, currency, status, expires_at,
      capture_transaction_id, description, metadata, created_at, $1
    FROM jsonb_to_recordset($40::jsonb) AS r(id uuid, source_account_id uuid, destination_account_id uuid, amount numeric,
      captured_amount numeric, currency text, status text, expires_at timestamptz, capture_transaction_id uuid,
      description text, metadata jsonb, created_at timestamptz)
    ON CONFLICT (id) DO UPDATE SET status = excluded.status, captured_amount = excluded.captured_amount,
      capture_transaction_id = excluded.capture_transaction_id, updated_at = excluded.updated_at
  ), new_hold_changes AS (
    INSERT INTO hold_changes (hold_id, status, amount, transaction_id, created_at)
    SELECT hold_id, status, amount, transaction_id, $1
    FROM jsonb_to_recordset($41::jsonb) AS c(hold_id uuid, status text, amount numeric, transaction_id uuid)
  ), stored_outcomes AS (
    INSERT INTO idempotency_keys AS k (key, fingerprint, status_code, transaction_id, response_body, hold_id, created_at, expires_at,
      posting_shape)
    SELECT *, $1, $2, 2 FROM ROWS FROM (unnest($30::text[], $31::text[], $32::smallint[], $33::uuid[]), json_array_elements_text($34::json),
      unnest($46::uuid[]))
    ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, status_code = excluded.status_code,
      transaction_id = excluded.transaction_id, response_body = excluded.response_body, hold_id = excluded.hold_id,
      created_at = excluded.created_at, expires_at = excluded.expires_at, posting_shape = excluded.posting_shape
    WHERE k.expires_at <= excluded.created_at
    RETURNING 1
  )
  SELECT count(*)::int INTO stored FROM stored_outcomes;
  RETURN assert_outcomes_stored(stored, $35);
END;
$$;

-- The one-round-trip batch, as commit_planned_batch_v3 with write_batch_v4's parameters (the holds
-- planned against move to $52).
CREATE FUNCTION commit_planned_batch_v4(
  uuid[], numeric[], bigint[], numeric[], numeric[],
  timestamptz, timestamptz,
  uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[],
  uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb,
  text[], text[], smallint[], uuid[], json,
  integer,
  uuid[], uuid[], numeric[], numeric[], jsonb, jsonb,
  jsonb, jsonb, text[],
  uuid[], uuid[], uuid[]
) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lock_accounts_as_planned_v2($1, $2, $3, $4, $5);
  IF cardinality($52) > 0 THEN
    PERFORM lock_holds_as_planned($52);
  END IF;
  RETURN write_batch_v4($6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
    $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41, $42, $43, $44, $45, $46,
    $47, $48, $49, $50, $51);
END;
$$;

-- Down Migration

-- Going back needs every hold event and stored hold answer as JSON again; rendering them is the
-- service's job, so the way down refuses while any row holds only a hold id.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM outbox WHERE hold_id IS NOT NULL) OR EXISTS (SELECT 1 FROM dead_letter WHERE hold_id IS NOT NULL)
     OR EXISTS (SELECT 1 FROM idempotency_keys WHERE hold_id IS NOT NULL) THEN
    RAISE EXCEPTION 'events or stored answers by hold id exist: publish and purge them before migrating down';
  END IF;
END;
$$;
DROP FUNCTION commit_planned_batch_v4(
  uuid[], numeric[], bigint[], numeric[], numeric[], timestamptz, timestamptz, uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[], uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb, text[], text[], smallint[], uuid[], json, integer,
  uuid[], uuid[], numeric[], numeric[], jsonb, jsonb, jsonb, jsonb, text[], uuid[], uuid[], uuid[]);
DROP FUNCTION write_batch_v4(
  timestamptz, timestamptz, uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[], uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb, text[], text[], smallint[], uuid[], json, integer,
  uuid[], uuid[], numeric[], numeric[], jsonb, jsonb, jsonb, jsonb, text[], uuid[], uuid[]);
DROP TRIGGER holds_fixed ON holds;
DROP FUNCTION reject_hold_rewrite();
ALTER TABLE dead_letter DROP CONSTRAINT dead_letter_one_body, DROP COLUMN hold_id,
  ADD CONSTRAINT dead_letter_payload_or_transaction CHECK ((payload IS NULL) <> (transaction_id IS NULL));
ALTER TABLE outbox DROP CONSTRAINT outbox_one_body, DROP COLUMN hold_id,
  ADD CONSTRAINT outbox_payload_or_transaction CHECK ((payload IS NULL) <> (transaction_id IS NULL));
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_one_body, DROP COLUMN hold_id,
  ADD CONSTRAINT idempotency_keys_body_or_transaction CHECK ((response_body IS NULL) <> (transaction_id IS NULL));
