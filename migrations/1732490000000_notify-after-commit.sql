-- Up Migration

-- The write path sends the outbox's NOTIFY itself, right after COMMIT: PostgreSQL serializes the
-- commits of transactions that notify (a global lock held through the WAL flush), which would cap
-- the commit rate. It marks its transactions so that this trigger stays out of their way; every
-- other writer of outbox rows (dead-letter replay, manual inserts) still notifies at commit.
CREATE OR REPLACE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('wallet_ledger.notify_after_commit', true) IS DISTINCT FROM 'on' THEN
    PERFORM pg_notify('outbox', '');
  END IF;
  RETURN NULL;
END;
$$;

-- Down Migration

CREATE OR REPLACE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END;
$$;
