-- Up Migration

-- Holds, their changes and reversals checked their references with per-row foreign keys: one SPI
-- query and one row lock per referenced row, five per hold and its capture, and one trigger call
-- for every ledger transaction (for reverses_transaction_id, null but for reversals). As for
-- entries and transactions (set-based-reference-checks), one check per statement gives the same
-- guarantee: every reference is checked in the statement that writes it, and a referenced row can
-- never go away, because accounts and ledger transactions are never removed or re-keyed, hold
-- changes are immutable, and holds are never removed or re-keyed (below).
ALTER TABLE holds
  DROP CONSTRAINT holds_source_account_id_fkey,
  DROP CONSTRAINT holds_destination_account_id_fkey;
ALTER TABLE hold_changes
  DROP CONSTRAINT hold_changes_hold_id_fkey,
  DROP CONSTRAINT hold_changes_transaction_id_fkey;
ALTER TABLE ledger_transactions
  DROP CONSTRAINT ledger_transactions_reverses_transaction_id_fkey;

CREATE FUNCTION check_hold_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan uuid;
BEGIN
  -- A capture updates its hold: only the new holds' accounts need a look, and they never change.
  SELECT h.id INTO orphan FROM new_holds h
  WHERE (SELECT a.id FROM accounts a WHERE a.id = h.source_account_id) IS NULL
     OR (SELECT a.id FROM accounts a WHERE a.id = h.destination_account_id) IS NULL
  LIMIT 1;
  IF orphan IS NOT NULL THEN
    RAISE EXCEPTION 'hold % names an account that does not exist', orphan
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER holds_references AFTER INSERT ON holds
  REFERENCING NEW TABLE AS new_holds
  FOR EACH STATEMENT EXECUTE FUNCTION check_hold_references();

CREATE FUNCTION check_hold_change_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan uuid;
BEGIN
  SELECT c.hold_id INTO orphan FROM new_hold_changes c
  WHERE (SELECT h.id FROM holds h WHERE h.id = c.hold_id) IS NULL
     OR (c.transaction_id IS NOT NULL AND (SELECT t.id FROM ledger_transactions t WHERE t.id = c.transaction_id) IS NULL)
  LIMIT 1;
  IF orphan IS NOT NULL THEN
    RAISE EXCEPTION 'a change of hold % names a hold or a transaction that does not exist', orphan
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER hold_changes_references AFTER INSERT ON hold_changes
  REFERENCING NEW TABLE AS new_hold_changes
  FOR EACH STATEMENT EXECUTE FUNCTION check_hold_change_references();

-- As multi-leg-transactions left it, plus the transaction a reversal names.
CREATE OR REPLACE FUNCTION check_transaction_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan uuid;
BEGIN
  SELECT t.id INTO orphan FROM new_transactions t
  WHERE (t.type <> 'multi_leg'
      AND ((SELECT a.id FROM accounts a WHERE a.id = t.source_account_id) IS NULL
        OR (SELECT a.id FROM accounts a WHERE a.id = t.destination_account_id) IS NULL))
     OR (t.reverses_transaction_id IS NOT NULL
      AND (SELECT o.id FROM ledger_transactions o WHERE o.id = t.reverses_transaction_id) IS NULL)
  LIMIT 1;
  IF orphan IS NOT NULL THEN
    RAISE EXCEPTION 'ledger transaction % names an account that does not exist, or reverses one that does not', orphan
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;

CREATE FUNCTION reject_hold_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'holds are never deleted or re-keyed: their changes refer to them (% on holds)', TG_OP
    USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER holds_never_deleted BEFORE DELETE ON holds
  FOR EACH ROW EXECUTE FUNCTION reject_hold_removal();
CREATE TRIGGER holds_never_truncated BEFORE TRUNCATE ON holds
  FOR EACH STATEMENT EXECUTE FUNCTION reject_hold_removal();
CREATE TRIGGER holds_never_rekeyed BEFORE UPDATE OF id ON holds
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION reject_hold_removal();

-- Down Migration

DROP TRIGGER holds_never_rekeyed ON holds;
DROP TRIGGER holds_never_truncated ON holds;
DROP TRIGGER holds_never_deleted ON holds;
DROP FUNCTION reject_hold_removal();
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
DROP TRIGGER hold_changes_references ON hold_changes;
DROP FUNCTION check_hold_change_references();
DROP TRIGGER holds_references ON holds;
DROP FUNCTION check_hold_references();
ALTER TABLE ledger_transactions
  ADD CONSTRAINT ledger_transactions_reverses_transaction_id_fkey FOREIGN KEY (reverses_transaction_id) REFERENCES ledger_transactions (id);
ALTER TABLE hold_changes
  ADD CONSTRAINT hold_changes_hold_id_fkey FOREIGN KEY (hold_id) REFERENCES holds (id),
  ADD CONSTRAINT hold_changes_transaction_id_fkey FOREIGN KEY (transaction_id) REFERENCES ledger_transactions (id);
ALTER TABLE holds
  ADD CONSTRAINT holds_source_account_id_fkey FOREIGN KEY (source_account_id) REFERENCES accounts (id),
  ADD CONSTRAINT holds_destination_account_id_fkey FOREIGN KEY (destination_account_id) REFERENCES accounts (id);
