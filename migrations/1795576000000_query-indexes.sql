-- Up Migration

-- Indexes for the read side: an account's balance at a time, the lists of accounts and ledger
-- transactions filtered and paged newest first by (created_at, id), and metadata containment.
--
-- Built in place, not CONCURRENTLY: node-pg-migrate runs this project's migrations in one
-- database transaction (src/db/migrations.ts, singleTransaction), and CREATE INDEX CONCURRENTLY
-- cannot run inside one. Each CREATE INDEX takes a SHARE lock on its table: reads go on, but
-- writes to that table wait until the index is built. On a large existing ledger that is a write
-- outage of about one table scan and sort per index (rough order: 1,000,000 ledger transactions
-- and 2,000,000 entries take seconds to tens of seconds per index on one core). Where that matters,
-- build the same indexes beforehand with CREATE INDEX CONCURRENTLY IF NOT EXISTS under these
-- names (outside a transaction, from psql); this migration then finds them and does nothing.
--
-- None of these columns is ever updated on accounts (balance, version, pending sums and
-- updated_at are), so balance updates stay HOT updates on the fillfactor-70 table.

-- Balance at a time: one probe for the last entry of an account at or before an instant. The
-- balance rides along (INCLUDE), so the probe reads the index alone once the page is all-visible.
CREATE INDEX IF NOT EXISTS ledger_entries_account_time
  ON ledger_entries (account_id, created_at, sequence) INCLUDE (balance_after);

-- Accounts, newest first; per currency; by metadata containment (metadata @> '{"k":"v"}').
CREATE INDEX IF NOT EXISTS accounts_created ON accounts (created_at, id);
CREATE INDEX IF NOT EXISTS accounts_currency_created ON accounts (currency, created_at, id);
CREATE INDEX IF NOT EXISTS accounts_metadata ON accounts USING gin (metadata jsonb_path_ops);

-- Ledger transactions, newest first; per account on either side (a transaction names two
-- different accounts, so the two lists never share a row); per type; by metadata containment.
CREATE INDEX IF NOT EXISTS ledger_transactions_created ON ledger_transactions (created_at, id);
CREATE INDEX IF NOT EXISTS ledger_transactions_source_created ON ledger_transactions (source_account_id, created_at, id);
CREATE INDEX IF NOT EXISTS ledger_transactions_destination_created ON ledger_transactions (destination_account_id, created_at, id);
CREATE INDEX IF NOT EXISTS ledger_transactions_type_created ON ledger_transactions (type, created_at, id);
CREATE INDEX IF NOT EXISTS ledger_transactions_metadata ON ledger_transactions USING gin (metadata jsonb_path_ops);

-- Down Migration

DROP INDEX IF EXISTS ledger_transactions_metadata, ledger_transactions_type_created,
  ledger_transactions_destination_created, ledger_transactions_source_created, ledger_transactions_created,
  accounts_metadata, accounts_currency_created, accounts_created, ledger_entries_account_time;
