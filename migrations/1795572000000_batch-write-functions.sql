-- Up Migration

-- A batch's write as a function, so that the service can send a batch that takes one round trip
-- as a single statement: outside an explicit transaction, one statement is one transaction,
-- committed when it returns. The two-round-trip path calls write_batch inside BEGIN … COMMIT, after
-- lock_batch's statement; the one-round-trip path calls commit_planned_batch, which locks and checks
-- the rows the batch was planned against, then writes. Both keep their plans the way a prepared
-- statement does (PL/pgSQL caches them per connection), so the index conditions that keep the write
-- off whole-table scans are written into the statement, as before.
-- Earlier functions are left as they were, so that a service built before these can share the database.

-- Parameters, in order: the batch's time and its outcomes' expiry; new accounts (ids, currencies,
-- external refs, metadata as one JSON array); ledger transactions (ids, types, amounts, currencies,
-- sources, destinations, descriptions, metadata as one JSON array); entries (ids, transaction ids,
-- account ids, directions, amounts, balances after, sequences); balance updates (account ids,
-- balances, versions); outbox events (ids, types, routing keys, transaction ids, payloads as one
-- JSON array); stored outcomes (keys, fingerprints, status codes, transaction ids, bodies as one
-- JSON array); and how many outcomes must be stored.
CREATE FUNCTION write_batch(
  timestamptz, timestamptz,
  uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[],
  uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb,
  text[], text[], smallint[], uuid[], json,
  integer
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  stored integer;
BEGIN
  -- Refuses to write outside a transaction that a lock statement marked (lock_batch,
  -- lock_accounts_as_planned): balances computed under locks it does not hold must never land.
  PERFORM assert_batch_locked();
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
    -- The id list again as an index condition: joined to unnest() alone, a cached plan can hash
    -- the batch's rows and scan every account.
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
    -- another writer won the key, fewer rows come back than were written, and the write fails (WL001).
    INSERT INTO idempotency_keys AS k (key, fingerprint, status_code, transaction_id, response_body, created_at, expires_at)
    SELECT *, $1, $2 FROM ROWS FROM (unnest($30::text[], $31::text[], $32::smallint[], $33::uuid[]), json_array_elements_text($34::json))
    ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, status_code = excluded.status_code,
      transaction_id = excluded.transaction_id, response_body = excluded.response_body,
      created_at = excluded.created_at, expires_at = excluded.expires_at
    WHERE k.expires_at <= excluded.created_at
    RETURNING 1
  )
  SELECT count(*)::int INTO stored FROM stored_outcomes;
  RETURN assert_outcomes_stored(stored, $35);
END;
$$;

-- The one-round-trip batch: the planned rows' ids, balances and versions, then write_batch's
-- parameters. Fails with WL002, having written nothing, when a row changed since it was planned against.
CREATE FUNCTION commit_planned_batch(
  uuid[], numeric[], bigint[],
  timestamptz, timestamptz,
  uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[],
  uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb,
  text[], text[], smallint[], uuid[], json,
  integer
) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM lock_accounts_as_planned($1, $2, $3);
  RETURN write_batch($4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
    $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38);
END;
$$;

-- Down Migration

DROP FUNCTION commit_planned_batch(
  uuid[], numeric[], bigint[], timestamptz, timestamptz, uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[], uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb, text[], text[], smallint[], uuid[], json, integer);
DROP FUNCTION write_batch(
  timestamptz, timestamptz, uuid[], text[], text[], jsonb,
  uuid[], text[], numeric[], text[], uuid[], uuid[], text[], jsonb,
  uuid[], uuid[], uuid[], text[], numeric[], numeric[], bigint[], uuid[], numeric[], bigint[],
  uuid[], text[], text[], uuid[], jsonb, text[], text[], smallint[], uuid[], json, integer);
