-- Up Migration

-- The statement triggers' queries read only their transition table, so PL/pgSQL plans them once
-- per connection and keeps that plan, made for the size of the first statement it saw. A
-- connection whose first batch was large kept a hash anti-join over every account, or a nested
-- loop scanning them all for each new row: 2 to 14 ms a batch at 10,000 accounts instead of 0.1 ms
-- (auto_explain, bench/README.md), growing with the table. The checks below cost the same for
-- every batch: each reference is a scalar subquery on a primary key, which PostgreSQL runs as one
-- index lookup per row and never turns into a join or a hashed subplan.

CREATE OR REPLACE FUNCTION check_transaction_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan uuid;
BEGIN
  SELECT t.id INTO orphan FROM new_transactions t
  WHERE (SELECT a.id FROM accounts a WHERE a.id = t.source_account_id) IS NULL
     OR (SELECT a.id FROM accounts a WHERE a.id = t.destination_account_id) IS NULL
  LIMIT 1;
  IF orphan IS NOT NULL THEN
    RAISE EXCEPTION 'ledger transaction % names an account that does not exist', orphan
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION check_entry_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan uuid;
BEGIN
  SELECT e.id INTO orphan FROM new_entries e
  WHERE (SELECT t.id FROM ledger_transactions t WHERE t.id = e.transaction_id) IS NULL
     OR (SELECT a.id FROM accounts a WHERE a.id = e.account_id) IS NULL
  LIMIT 1;
  IF orphan IS NOT NULL THEN
    RAISE EXCEPTION 'ledger entry % names a transaction or an account that does not exist', orphan
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;

-- The new entries alone decide the balance: every earlier statement left each transaction
-- balanced (this check) and entries are never changed or removed (ledger_entries_immutable,
-- ledger_entries_no_truncate), so a transaction stays balanced exactly when the entries this
-- statement adds to it balance. Reading the transaction's older entries back could hash the
-- whole table.
CREATE OR REPLACE FUNCTION check_entries_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced uuid;
BEGIN
  SELECT e.transaction_id INTO unbalanced
  FROM new_entries e
  GROUP BY e.transaction_id
  HAVING sum(CASE WHEN e.direction = 'debit' THEN e.amount ELSE 0 END)
      <> sum(CASE WHEN e.direction = 'credit' THEN e.amount ELSE 0 END)
  LIMIT 1;
  IF unbalanced IS NOT NULL THEN
    RAISE EXCEPTION 'ledger transaction % is unbalanced: debits differ from credits', unbalanced
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END;
$$;

-- Down Migration

CREATE OR REPLACE FUNCTION check_entries_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced uuid;
BEGIN
  SELECT e.transaction_id INTO unbalanced
  FROM ledger_entries e
  WHERE e.transaction_id IN (SELECT DISTINCT transaction_id FROM new_entries)
  GROUP BY e.transaction_id
  HAVING sum(CASE WHEN e.direction = 'debit' THEN e.amount ELSE 0 END)
      <> sum(CASE WHEN e.direction = 'credit' THEN e.amount ELSE 0 END)
  LIMIT 1;
  IF unbalanced IS NOT NULL THEN
    RAISE EXCEPTION 'ledger transaction % is unbalanced: debits differ from credits', unbalanced
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION check_entry_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan uuid;
BEGIN
  SELECT orphans.id INTO orphan FROM (
    SELECT e.id FROM new_entries e WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.id = e.transaction_id)
    UNION ALL
    SELECT e.id FROM new_entries e WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = e.account_id)
  ) orphans
  LIMIT 1;
  IF orphan IS NOT NULL THEN
    RAISE EXCEPTION 'ledger entry % names a transaction or an account that does not exist', orphan
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION check_transaction_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan uuid;
BEGIN
  SELECT orphans.id INTO orphan FROM (
    SELECT t.id FROM new_transactions t WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = t.source_account_id)
    UNION ALL
    SELECT t.id FROM new_transactions t WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = t.destination_account_id)
  ) orphans
  LIMIT 1;
  IF orphan IS NOT NULL THEN
    RAISE EXCEPTION 'ledger transaction % names an account that does not exist', orphan
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;
