-- Up Migration

-- A batch's holds travel as columns, like its transactions, instead of one JSON record each: a new
-- hold is inserted whole, and a hold the batch captures, voids or expires gets only its new state
-- (status, captured amount, capture transaction, time) in an UPDATE. write_batch_v4 sent every
-- written hold's fixed columns again (about 950 bytes of JSON a hold) and upserted it. Hold changes
-- travel as columns too. The parameters are write_batch_v4's up to $39, then:
--   $40-$50 new holds: id, source, destination, amount, captured amount, currency, status, expires_at,
--           capture transaction, description, metadata (a JSON array);
--   $51-$54 changed holds: id, status, captured amount, capture transaction;
--   $55-$58 hold changes: hold id, status, amount, transaction;
--   $59-$63 write_batch_v4's $42-$46 (account settings, account history, traceparents, the hold each
--           event names, the hold each stored outcome names).
-- write_batch_v4 and commit_planned_batch_v4 stay for older builds.
CREATE FUNCTION write_batch_v5(
  timestamptz, timestamptz,
  uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[],
  uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb,
  text[], text[], smallint[], uuid[], json,
  integer,
  uuid[], uuid[], numeric[], numeric[],
  uuid[], uuid[], uuid[], numeric[], numeric[], text[], text[], timestamptz[], uuid[], text[], jsonb,
  uuid[], text[], numeric[], uuid[],
  uuid[], text[], numeric[], uuid[],
  jsonb, jsonb, text[],
  uuid[], uuid[]
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  stored integer;
  changed integer;
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
    LEFT JOIN jsonb_to_recordset($59::jsonb) AS s(id uuid, status text, overdraft_limit numeric, metadata jsonb)
      ON s.id = u.id
    WHERE accounts.id = u.id AND accounts.id = ANY($22::uuid[])
  ), new_history AS (
    INSERT INTO account_history (account_id, version, request_id, changes, created_at)
    SELECT account_id, version, request_id, changes, $1
    FROM jsonb_to_recordset($60::jsonb) AS h(account_id uuid, version bigint, request_id text, changes jsonb)
  ), new_events AS (
    INSERT INTO outbox (event_id, event_type, routing_key, transaction_id, hold_id, payload, traceparent, created_at)
    SELECT event_id, event_type, routing_key, transaction_id, hold_id, nullif(payload, 'null'), traceparent, $1
    FROM ROWS FROM (unnest($25::uuid[], $26::text[], $27::text[], $28::uuid[], $62::uuid[]), jsonb_array_elements($29::jsonb),
      unnest($61::text[]))
      AS e(event_id, event_type, routing_key, transaction_id, hold_id, payload, traceparent)
  ), new_holds AS (
    INSERT INTO holds (id, source_account_id, destination_account_id, amount, captured_amount, currency, status,
      expires_at, capture_transaction_id, description, metadata, created_at, updated_at)
    SELECT *, $1, $1 FROM ROWS FROM (unnest($40::uuid[], $41::uuid[], $42::uuid[], $43::numeric[], $44::numeric[], $45::text[],
      $46::text[], $47::timestamptz[], $48::uuid[], $49::text[]), jsonb_array_elements($50::jsonb))
  ), changed_holds AS (
    -- The id list again as an index condition, as for the accounts.
    UPDATE holds SET status = c.status, captured_amount = c.captured_amount,
      capture_transaction_id = c.capture_transaction_id, updated_at = $1
    FROM unnest($51::uuid[], $52::text[], $53::numeric[], $54::uuid[]) AS c(id, status, captured_amount, capture_transaction_id)
    WHERE holds.id = c.id AND holds.id = ANY($51::uuid[])
    RETURNING 1
  ), new_hold_changes AS (
    INSERT INTO hold_changes (hold_id, status, amount, transaction_id, created_at)
    SELECT *, $1 FROM unnest($55::uuid[], $56::text[], $57::numeric[], $58::uuid[])
  ), stored_outcomes AS (
    INSERT INTO idempotency_keys AS k (key, fingerprint, status_code, transaction_id, response_body, hold_id, created_at, expires_at,
      posting_shape)
    SELECT *, $1, $2, 2 FROM ROWS FROM (unnest($30::text[], $31::text[], $32::smallint[], $33::uuid[]), json_array_elements_text($34::json),
      unnest($63::uuid[]))
    ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, status_code = excluded.status_code,
      transaction_id = excluded.transaction_id, response_body = excluded.response_body, hold_id = excluded.hold_id,
      created_at = excluded.created_at, expires_at = excluded.expires_at, posting_shape = excluded.posting_shape
    WHERE k.expires_at <= excluded.created_at
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM stored_outcomes), (SELECT count(*) FROM changed_holds) INTO stored, changed;
  -- Every hold the batch changes was locked as it planned: a missing one is a bug, and writes nothing.
  IF changed <> coalesce(cardinality($51), 0) THEN
    RAISE EXCEPTION 'the batch changed % of its % holds', changed, coalesce(cardinality($51), 0);
  END IF;
  RETURN assert_outcomes_stored(stored, $35);
END;
$$;

-- The one-round-trip batch, as commit_planned_batch_v4 with write_batch_v5's parameters (the holds
-- planned against move to $69).
CREATE FUNCTION commit_planned_batch_v5(
  uuid[], numeric[], bigint[], numeric[], numeric[],
  timestamptz, timestamptz,
  uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[],
  uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb,
  text[], text[], smallint[], uuid[], json,
  integer,
  uuid[], uuid[], numeric[], numeric[],
  uuid[], uuid[], uuid[], numeric[], numeric[], text[], text[], timestamptz[], uuid[], text[], jsonb,
  uuid[], text[], numeric[], uuid[],
  uuid[], text[], numeric[], uuid[],
  jsonb, jsonb, text[],
  uuid[], uuid[],
  uuid[]
) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lock_accounts_as_planned_v2($1, $2, $3, $4, $5);
  IF cardinality($69) > 0 THEN
    PERFORM lock_holds_as_planned($69);
  END IF;
  RETURN write_batch_v5($6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
    $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41, $42, $43, $44, $45, $46,
    $47, $48, $49, $50, $51, $52, $53, $54, $55, $56, $57, $58, $59, $60, $61, $62, $63, $64, $65, $66, $67, $68);
END;
$$;

-- Down Migration

-- Each name is unique, so no argument list is needed.
DROP FUNCTION commit_planned_batch_v5;
DROP FUNCTION write_batch_v5;
