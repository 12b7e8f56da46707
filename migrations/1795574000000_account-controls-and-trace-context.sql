-- Up Migration

-- Account controls: a wallet may be frozen (no debits) or closed (nothing more, ever), and may be
-- allowed to go down to -overdraft_limit. The database refuses what the service's own checks refuse.
ALTER TABLE accounts
  DROP CONSTRAINT accounts_status_check,
  ADD CONSTRAINT accounts_status_check CHECK (status IN ('active', 'frozen', 'closed')),
  ADD COLUMN overdraft_limit numeric(38, 0) NOT NULL DEFAULT 0 CHECK (overdraft_limit >= 0),
  DROP CONSTRAINT accounts_user_balance_not_negative,
  ADD CONSTRAINT accounts_user_balance_not_negative CHECK (kind <> 'user' OR balance + overdraft_limit >= 0),
  DROP CONSTRAINT accounts_user_available_not_negative,
  ADD CONSTRAINT accounts_user_available_not_negative CHECK (kind <> 'user' OR balance + overdraft_limit >= pending_debits),
  ADD CONSTRAINT accounts_closed_is_empty CHECK (status <> 'closed' OR (balance = 0 AND pending_debits = 0 AND pending_credits = 0));

-- Every change of an account's settings (status, overdraft limit, metadata), appended and never
-- changed: who asked (the request id), what changed ({"field": {"from": ..., "to": ...}}) and when.
-- `version` is the account version the change produced, so an account's history is ordered by it.
CREATE TABLE account_history (
  account_id  uuid NOT NULL REFERENCES accounts (id),
  version     bigint NOT NULL,
  request_id  text NOT NULL,
  changes     jsonb NOT NULL,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (account_id, version)
);
CREATE TRIGGER account_history_immutable BEFORE UPDATE OR DELETE ON account_history
  FOR EACH ROW EXECUTE FUNCTION reject_ledger_mutation();
CREATE TRIGGER account_history_no_truncate BEFORE TRUNCATE ON account_history
  FOR EACH STATEMENT EXECUTE FUNCTION reject_ledger_mutation();
GRANT SELECT, INSERT ON account_history TO wallet_ledger_service;

-- Trace context: the W3C traceparent of the request that caused an event, sent with the message
-- (and kept when the event is dead-lettered and replayed).
ALTER TABLE outbox ADD COLUMN traceparent text;
ALTER TABLE dead_letter ADD COLUMN traceparent text;

-- write_batch_v2's parameters, then: account settings changed by the batch ($42, a JSON array of
-- {id, status, overdraft_limit, metadata}; each such account is also among the balance updates, since
-- one statement updates a row once), account history rows ($43) and one traceparent per event ($44).
-- write_batch_v2 stays for older builds.
CREATE FUNCTION write_batch_v3(
  timestamptz, timestamptz,
  uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[],
  uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb,
  text[], text[], smallint[], uuid[], json,
  integer,
  uuid[], uuid[], numeric[], numeric[], jsonb, jsonb,
  jsonb, jsonb, text[]
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
    INSERT INTO outbox (event_id, event_type, routing_key, transaction_id, payload, traceparent, created_at)
    SELECT event_id, event_type, routing_key, transaction_id, nullif(payload, 'null'), traceparent, $1
    FROM ROWS FROM (unnest($25::uuid[], $26::text[], $27::text[], $28::uuid[]), jsonb_array_elements($29::jsonb),
      unnest($44::text[]))
      AS e(event_id, event_type, routing_key, transaction_id, payload, traceparent)
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
    INSERT INTO idempotency_keys AS k (key, fingerprint, status_code, transaction_id, response_body, created_at, expires_at, posting_shape)
    SELECT *, $1, $2, 2 FROM ROWS FROM (unnest($30::text[], $31::text[], $32::smallint[], $33::uuid[]), json_array_elements_text($34::json))
    ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, status_code = excluded.status_code,
      transaction_id = excluded.transaction_id, response_body = excluded.response_body,
      created_at = excluded.created_at, expires_at = excluded.expires_at, posting_shape = excluded.posting_shape
    WHERE k.expires_at <= excluded.created_at
    RETURNING 1
  )
  SELECT count(*)::int INTO stored FROM stored_outcomes;
  RETURN assert_outcomes_stored(stored, $35);
END;
$$;

-- The one-round-trip batch, as commit_planned_batch_v2 with write_batch_v3's parameters. A settings
-- change bumps the account's version, so the version check under the lock sees it as it sees a posting.
CREATE FUNCTION commit_planned_batch_v3(
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
  uuid[]
) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lock_accounts_as_planned_v2($1, $2, $3, $4, $5);
  IF cardinality($50) > 0 THEN
    PERFORM lock_holds_as_planned($50);
  END IF;
  RETURN write_batch_v3($6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
    $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41, $42, $43, $44, $45, $46,
    $47, $48, $49);
END;
$$;

-- Down Migration

DROP FUNCTION commit_planned_batch_v3(
  uuid[], numeric[], bigint[], numeric[], numeric[], timestamptz, timestamptz, uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[], uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb, text[], text[], smallint[], uuid[], json, integer,
  uuid[], uuid[], numeric[], numeric[], jsonb, jsonb, jsonb, jsonb, text[], uuid[]);
DROP FUNCTION write_batch_v3(
  timestamptz, timestamptz, uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[], uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb, text[], text[], smallint[], uuid[], json, integer,
  uuid[], uuid[], numeric[], numeric[], jsonb, jsonb, jsonb, jsonb, text[]);
ALTER TABLE dead_letter DROP COLUMN traceparent;
ALTER TABLE outbox DROP COLUMN traceparent;
DROP TABLE account_history;
-- Frozen, closed and overdrawn accounts cannot be described without their columns: the way down
-- refuses while any exist.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM accounts WHERE status <> 'active' OR (kind = 'user' AND balance < 0)) THEN
    RAISE EXCEPTION 'frozen, closed or overdrawn accounts exist: they cannot be kept without their columns';
  END IF;
END;
$$;
ALTER TABLE accounts
  DROP CONSTRAINT accounts_closed_is_empty,
  DROP CONSTRAINT accounts_user_available_not_negative,
  ADD CONSTRAINT accounts_user_available_not_negative CHECK (kind <> 'user' OR balance >= pending_debits),
  DROP CONSTRAINT accounts_user_balance_not_negative,
  ADD CONSTRAINT accounts_user_balance_not_negative CHECK (kind <> 'user' OR balance >= 0),
  DROP COLUMN overdraft_limit,
  DROP CONSTRAINT accounts_status_check,
  ADD CONSTRAINT accounts_status_check CHECK (status IN ('active'));
