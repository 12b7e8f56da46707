-- Up Migration

-- Holds (two-phase transfers) and reversals. A hold reserves money on its source account: the
-- account's pending_debits grow by the hold's amount, its destination's pending_credits too, and
-- what the source may still spend (balance - pending_debits) shrinks. Capturing posts a ledger
-- transaction; voiding or expiring releases the reservation. Pending sums change without entries,
-- so they leave balance, version and the entry sequences alone.

ALTER TABLE accounts
  ADD COLUMN pending_debits numeric(38, 0) NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
  ADD COLUMN pending_credits numeric(38, 0) NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
  -- The last line of defence behind the code's own check: a wallet never spends held money (an
  -- older build that does not know holds is refused here rather than taking it).
  ADD CONSTRAINT accounts_user_available_not_negative CHECK (kind <> 'user' OR balance >= pending_debits);

CREATE TABLE holds (
  id                      uuid PRIMARY KEY,
  source_account_id       uuid NOT NULL REFERENCES accounts (id),
  destination_account_id  uuid NOT NULL REFERENCES accounts (id),
  amount                  numeric(38, 0) NOT NULL CHECK (amount > 0),
  captured_amount         numeric(38, 0) NOT NULL DEFAULT 0 CHECK (captured_amount >= 0),
  currency                text NOT NULL,
  status                  text NOT NULL CHECK (status IN ('pending', 'captured', 'voided', 'expired')),
  expires_at              timestamptz NOT NULL,
  capture_transaction_id  uuid,
  description             text,
  metadata                jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at              timestamptz NOT NULL,
  updated_at              timestamptz NOT NULL,
  CHECK (source_account_id <> destination_account_id),
  CHECK (captured_amount <= amount),
  CHECK ((status = 'captured') = (capture_transaction_id IS NOT NULL))
);

-- An account's holds, newest first, as source or as destination (one index each, merged by the read).
CREATE INDEX holds_by_source ON holds (source_account_id, created_at DESC, id DESC);
CREATE INDEX holds_by_destination ON holds (destination_account_id, created_at DESC, id DESC);
-- The expiry sweep's due holds.
CREATE INDEX holds_pending_expiry ON holds (expires_at) WHERE status = 'pending';

-- Every state a hold takes, appended and never changed: the hold row's status is the latest of
-- them (npm run verify checks it). `amount` is what the change reserved, captured or released.
CREATE TABLE hold_changes (
  hold_id         uuid NOT NULL REFERENCES holds (id),
  status          text NOT NULL CHECK (status IN ('pending', 'captured', 'voided', 'expired')),
  amount          numeric(38, 0) NOT NULL CHECK (amount >= 0),
  transaction_id  uuid REFERENCES ledger_transactions (id),
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (hold_id, status)
);

-- A hold leaves pending once: a capture and a void of one hold can never both be written.
CREATE UNIQUE INDEX hold_changes_one_outcome ON hold_changes (hold_id) WHERE status <> 'pending';

CREATE TRIGGER hold_changes_immutable BEFORE UPDATE OR DELETE ON hold_changes
  FOR EACH ROW EXECUTE FUNCTION reject_ledger_mutation();
CREATE TRIGGER hold_changes_no_truncate BEFORE TRUNCATE ON hold_changes
  FOR EACH STATEMENT EXECUTE FUNCTION reject_ledger_mutation();

-- A capture names its hold; a reversal names the transaction it reverses. What a transaction has
-- had reversed is the sum of its reversals (found by the index), never an update of its row.
ALTER TABLE ledger_transactions
  ADD COLUMN hold_id uuid,
  ADD COLUMN reverses_transaction_id uuid REFERENCES ledger_transactions (id),
  DROP CONSTRAINT ledger_transactions_type_check,
  ADD CONSTRAINT ledger_transactions_type_check CHECK (type IN ('deposit', 'withdrawal', 'transfer', 'reversal')),
  ADD CONSTRAINT ledger_transactions_reversal_names_original CHECK ((type = 'reversal') = (reverses_transaction_id IS NOT NULL));
CREATE INDEX ledger_transactions_reversals ON ledger_transactions (reverses_transaction_id) WHERE reverses_transaction_id IS NOT NULL;

-- A posting's stored outcome is rendered again on replay. Keys stored before transactions gained
-- hold_id, reverses_transaction_id and reversed_amount (posting_shape 1, what older builds write)
-- replay without them, byte for byte as first answered; keys stored since carry 2.
ALTER TABLE idempotency_keys ADD COLUMN posting_shape smallint NOT NULL DEFAULT 1;

GRANT SELECT, INSERT, UPDATE ON holds TO wallet_ledger_service;
GRANT SELECT, INSERT ON hold_changes TO wallet_ledger_service;

-- The one-round-trip lock, comparing the pending sums as well (they change without balance or
-- version). lock_accounts_as_planned stays for older builds.
CREATE FUNCTION lock_accounts_as_planned_v2(ids uuid[], balances numeric[], versions bigint[],
  debits_pending numeric[], credits_pending numeric[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  unchanged integer;
BEGIN
  WITH locked AS MATERIALIZED (
    SELECT a.id, a.balance, a.version, a.pending_debits, a.pending_credits FROM accounts a
    WHERE a.id = ANY(ids)
    ORDER BY a.kind = 'settlement', a.id
    FOR UPDATE
  )
  SELECT count(*) INTO unchanged
  FROM locked JOIN unnest(ids, balances, versions, debits_pending, credits_pending)
    AS planned(id, balance, version, pending_debits, pending_credits)
    ON planned.id = locked.id AND planned.balance = locked.balance AND planned.version = locked.version
   AND planned.pending_debits = locked.pending_debits AND planned.pending_credits = locked.pending_credits;
  IF unchanged <> cardinality(ids) THEN
    RAISE EXCEPTION 'an account of this batch changed since the service last wrote it'
      USING ERRCODE = 'WL002';
  END IF;
  PERFORM mark_batch_locked();
  RETURN unchanged;
END;
$$;

-- write_batch's parameters, then: the transactions' holds and reversed originals; the updated
-- accounts' pending debits and credits (beside their balances and versions); holds written (new or
-- changed, one JSON array) and hold changes (one JSON array). write_batch stays for older builds.
CREATE FUNCTION write_batch_v2(
  timestamptz, timestamptz,
  uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[],
  uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb,
  text[], text[], smallint[], uuid[], json,
  integer,
  uuid[], uuid[], numeric[], numeric[], jsonb, jsonb
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
      pending_credits = u.pending_credits, updated_at = $1
    FROM unnest($22::uuid[], $23::numeric[], $24::bigint[], $38::numeric[], $39::numeric[])
      AS u(id, balance, version, pending_debits, pending_credits)
    WHERE accounts.id = u.id AND accounts.id = ANY($22::uuid[])
  ), new_events AS (
    INSERT INTO outbox (event_id, event_type, routing_key, transaction_id, payload, created_at)
    SELECT event_id, event_type, routing_key, transaction_id, nullif(payload, 'null'), $1
    FROM ROWS FROM (unnest($25::uuid[], $26::text[], $27::text[], $28::uuid[]), jsonb_array_elements($29::jsonb))
      AS e(event_id, event_type, routing_key, transaction_id, payload)
  ), written_holds AS (
    -- The id list again as an index condition, as for the accounts (write_batch).
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

-- The holds a one-round-trip batch planned against, as the writer's last commit left them: each
-- still pending. Locked after the accounts (the order every writer uses: a hold's writers lock its
-- accounts first), in id order. Fails with WL002 when one is no longer pending.
CREATE FUNCTION lock_holds_as_planned(ids uuid[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  pending integer;
BEGIN
  WITH locked AS MATERIALIZED (
    SELECT h.id, h.status FROM holds h WHERE h.id = ANY(ids) ORDER BY h.id FOR UPDATE
  )
  SELECT count(*) INTO pending FROM locked WHERE locked.status = 'pending';
  IF pending <> cardinality(ids) THEN
    RAISE EXCEPTION 'a hold of this batch changed since the service last wrote it'
      USING ERRCODE = 'WL002';
  END IF;
  RETURN pending;
END;
$$;

-- The one-round-trip batch: the planned rows' ids, balances, versions and pending sums, then
-- write_batch_v2's parameters, then the pending holds planned against.
CREATE FUNCTION commit_planned_batch_v2(
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
  uuid[]
) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lock_accounts_as_planned_v2($1, $2, $3, $4, $5);
  IF cardinality($47) > 0 THEN
    PERFORM lock_holds_as_planned($47);
  END IF;
  RETURN write_batch_v2($6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
    $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41, $42, $43, $44, $45, $46);
END;
$$;

-- Down Migration

DROP FUNCTION commit_planned_batch_v2(
  uuid[], numeric[], bigint[], numeric[], numeric[], timestamptz, timestamptz, uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[], uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb, text[], text[], smallint[], uuid[], json, integer,
  uuid[], uuid[], numeric[], numeric[], jsonb, jsonb, uuid[]);
DROP FUNCTION lock_holds_as_planned(uuid[]);
DROP FUNCTION write_batch_v2(
  timestamptz, timestamptz, uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[], uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb, text[], text[], smallint[], uuid[], json, integer,
  uuid[], uuid[], numeric[], numeric[], jsonb, jsonb);
DROP FUNCTION lock_accounts_as_planned_v2(uuid[], numeric[], bigint[], numeric[], numeric[]);
REVOKE ALL ON holds, hold_changes FROM wallet_ledger_service;
ALTER TABLE idempotency_keys DROP COLUMN posting_shape;
DROP INDEX ledger_transactions_reversals;
-- Reversals cannot be described without their columns: the way down refuses while any exist.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM ledger_transactions WHERE type = 'reversal' OR hold_id IS NOT NULL) THEN
    RAISE EXCEPTION 'reversals or captures exist: they cannot be kept without their columns';
  END IF;
END;
$$;
ALTER TABLE ledger_transactions
  DROP CONSTRAINT ledger_transactions_reversal_names_original,
  DROP CONSTRAINT ledger_transactions_type_check,
  ADD CONSTRAINT ledger_transactions_type_check CHECK (type IN ('deposit', 'withdrawal', 'transfer')),
  DROP COLUMN reverses_transaction_id,
  DROP COLUMN hold_id;
DROP TABLE hold_changes, holds;
ALTER TABLE accounts
  DROP CONSTRAINT accounts_user_available_not_negative,
  DROP COLUMN pending_credits,
  DROP COLUMN pending_debits;
