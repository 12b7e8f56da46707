-- Up Migration

-- A partition is the single writer of its accounts, so it usually knows their rows as its last
-- commit left them. It then plans a batch against those rows and sends BEGIN, this lock, the write
-- and COMMIT together, in one round trip. The rows it planned against are checked here under
-- the row locks: when another writer (another replica, another partition) changed one of them
-- since, SQLSTATE WL002 aborts the transaction, the pipelined write and COMMIT roll back with it,
-- and the service runs the batch again on the two-round-trip path, which reads the rows it locks.
-- Locks are taken in the one global order every writer uses (wallets by id, then settlement
-- accounts by id), as lock_batch does. Balance and version are the only columns of an account that
-- ever change (the write's one UPDATE); a column that starts changing must be compared here too.
CREATE FUNCTION lock_accounts_as_planned(ids uuid[], balances numeric[], versions bigint[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  unchanged integer;
BEGIN
  WITH locked AS MATERIALIZED (
    SELECT a.id, a.balance, a.version FROM accounts a
    WHERE a.id = ANY(ids)
    ORDER BY a.kind = 'settlement', a.id
    FOR UPDATE
  )
  SELECT count(*) INTO unchanged
  FROM locked JOIN unnest(ids, balances, versions) AS planned(id, balance, version)
    ON planned.id = locked.id AND planned.balance = locked.balance AND planned.version = locked.version;
  IF unchanged <> cardinality(ids) THEN
    RAISE EXCEPTION 'an account of this batch changed since the service last wrote it'
      USING ERRCODE = 'WL002';
  END IF;
  PERFORM mark_batch_locked();
  RETURN unchanged;
END;
$$;

-- Both lock statements mark their transaction; the write refuses to run in one they did not mark.
-- Pipelined, a BEGIN that failed would otherwise let the write run on its own in autocommit mode,
-- storing balances computed under locks it no longer holds. The mark is transaction-local, so it
-- cannot outlive the transaction that locked.
CREATE FUNCTION mark_batch_locked() RETURNS boolean
LANGUAGE sql AS $$
  SELECT set_config('wallet_ledger.batch_locked', 'on', true) = 'on'
$$;

CREATE FUNCTION assert_batch_locked() RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('wallet_ledger.batch_locked', true) IS DISTINCT FROM 'on' THEN
    RAISE EXCEPTION 'a batch write must run in the transaction that locked its accounts'
      USING ERRCODE = 'WL003';
  END IF;
  RETURN true;
END;
$$;

-- Down Migration

DROP FUNCTION lock_accounts_as_planned(uuid[], numeric[], bigint[]);
DROP FUNCTION assert_batch_locked();
DROP FUNCTION mark_batch_locked();
