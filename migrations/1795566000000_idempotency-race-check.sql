-- Up Migration

-- The write path sends a batch's write and its COMMIT together (pipelined), so it cannot look at
-- the write's result before committing. When another writer stored an outcome under one of the
-- batch's keys first, the write itself must fail, aborting the transaction that COMMIT then ends.
-- SQLSTATE WL001 (class WL is ours) tells the service to run the batch again and replay the key.
CREATE FUNCTION assert_outcomes_stored(stored integer, expected integer) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  IF stored <> expected THEN
    RAISE EXCEPTION 'an idempotency key of this batch was stored by another writer first'
      USING ERRCODE = 'WL001';
  END IF;
  RETURN stored;
END;
$$;

-- Down Migration

DROP FUNCTION assert_outcomes_stored(integer, integer);
