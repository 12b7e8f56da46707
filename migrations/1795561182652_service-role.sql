-- Up Migration

-- The role the service's database user should be (or be a member of): exactly the privileges the
-- write path, the reads, the relay and the housekeeping use, and no more. Ledger rows can be
-- inserted and read but never updated, deleted or truncated, so the ledger stays immutable even
-- if the immutability triggers are dropped. Roles are cluster-wide: several databases of one
-- cluster (and several concurrent migrations) may all try to create it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wallet_ledger_service') THEN
    CREATE ROLE wallet_ledger_service NOLOGIN;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
END;
$$;

GRANT USAGE ON SCHEMA public TO wallet_ledger_service;
GRANT SELECT, INSERT ON ledger_transactions, ledger_entries TO wallet_ledger_service;
GRANT SELECT, INSERT, UPDATE ON accounts TO wallet_ledger_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys, outbox, dead_letter TO wallet_ledger_service;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO wallet_ledger_service;
-- /readyz compares the newest applied migration with the newest shipped one.
GRANT SELECT ON pgmigrations TO wallet_ledger_service;

-- Down Migration

REVOKE ALL ON pgmigrations, dead_letter, outbox, idempotency_keys, accounts, ledger_entries, ledger_transactions
  FROM wallet_ledger_service;
REVOKE USAGE ON ALL SEQUENCES IN SCHEMA public FROM wallet_ledger_service;
REVOKE USAGE ON SCHEMA public FROM wallet_ledger_service;
-- The role may still hold privileges in another database of the cluster; then it stays.
DO $$
BEGIN
  DROP ROLE IF EXISTS wallet_ledger_service;
EXCEPTION
  WHEN dependent_objects_still_exist THEN
    RAISE NOTICE 'role wallet_ledger_service is still used in another database; kept';
END;
$$;
