-- Up Migration

-- Multi-leg transactions: one ledger transaction that moves money in 1 to 100 legs, each a debit
-- and a credit of one currency, all applied or none. Its row carries what the whole has (type,
-- description, metadata, time); amount, currency and the two accounts are each leg's, so they are
-- null on a multi-leg row and only there.
--
-- Where the legs live: in the entries. A leg is exactly a debit entry and a credit entry of equal
-- amount between two accounts of one currency, so its entries already hold all of it (accounts,
-- amount, and the currency of those accounts, which never changes). The write path mints entry
-- ids in leg order (time-ordered ids from one writer, debit then credit per leg), so ordering a
-- transaction's entries by id pairs them into its legs. A legs table would store every leg twice
-- and need another write statement; `npm run verify` checks the pairing instead
-- (multi_leg_legs_paired, multi_leg_balanced_per_currency).
ALTER TABLE ledger_transactions
  ALTER COLUMN amount DROP NOT NULL,
  ALTER COLUMN currency DROP NOT NULL,
  ALTER COLUMN source_account_id DROP NOT NULL,
  ALTER COLUMN destination_account_id DROP NOT NULL,
  DROP CONSTRAINT ledger_transactions_type_check,
  ADD CONSTRAINT ledger_transactions_type_check CHECK (type IN ('deposit', 'withdrawal', 'transfer', 'reversal', 'multi_leg')),
  ADD CONSTRAINT ledger_transactions_legs_or_accounts CHECK (
    CASE WHEN type = 'multi_leg'
      THEN amount IS NULL AND currency IS NULL AND source_account_id IS NULL AND destination_account_id IS NULL
           AND hold_id IS NULL AND reverses_transaction_id IS NULL
      ELSE amount IS NOT NULL AND currency IS NOT NULL AND source_account_id IS NOT NULL AND destination_account_id IS NOT NULL
    END);

-- A multi-leg row names no account itself (its entries do, and check_entry_references checks them).
CREATE OR REPLACE FUNCTION check_transaction_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan uuid;
BEGIN
  SELECT t.id INTO orphan FROM new_transactions t
  WHERE t.type <> 'multi_leg'
    AND ((SELECT a.id FROM accounts a WHERE a.id = t.source_account_id) IS NULL
      OR (SELECT a.id FROM accounts a WHERE a.id = t.destination_account_id) IS NULL)
  LIMIT 1;
  IF orphan IS NOT NULL THEN
    RAISE EXCEPTION 'ledger transaction % names an account that does not exist', orphan
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;

-- Down Migration

-- Multi-leg transactions cannot be described without nullable columns: the way down refuses while any exist.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM ledger_transactions WHERE type = 'multi_leg') THEN
    RAISE EXCEPTION 'multi-leg transactions exist: they cannot be kept without their nullable columns';
  END IF;
END;
$$;
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
ALTER TABLE ledger_transactions
  DROP CONSTRAINT ledger_transactions_legs_or_accounts,
  DROP CONSTRAINT ledger_transactions_type_check,
  ADD CONSTRAINT ledger_transactions_type_check CHECK (type IN ('deposit', 'withdrawal', 'transfer', 'reversal')),
  ALTER COLUMN amount SET NOT NULL,
  ALTER COLUMN currency SET NOT NULL,
  ALTER COLUMN source_account_id SET NOT NULL,
  ALTER COLUMN destination_account_id SET NOT NULL;
