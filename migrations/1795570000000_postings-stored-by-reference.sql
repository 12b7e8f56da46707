-- Up Migration

-- A posting's response body and its event's data are the posted transaction with its two entries:
-- rows that are never changed or removed. Storing them a second and a third time, as text in
-- idempotency_keys and as jsonb in the outbox, was two thirds of the bytes a transfer wrote. Such
-- rows now keep only the transaction's id; the body and the event are rendered again from the
-- ledger when a key is replayed or the event published. Other outcomes (rejections, opened
-- accounts, whose rows change later) keep their text. Exactly one of the two is set.
-- No foreign key: the transaction is inserted by the same statement, ledger rows are never
-- deleted (a trigger refuses), and the check would cost a lookup and a row lock per write.
ALTER TABLE idempotency_keys
  ALTER COLUMN response_body DROP NOT NULL,
  ADD COLUMN transaction_id uuid,
  ADD CONSTRAINT idempotency_keys_body_or_transaction CHECK ((response_body IS NULL) <> (transaction_id IS NULL));

ALTER TABLE outbox
  ALTER COLUMN payload DROP NOT NULL,
  ADD COLUMN transaction_id uuid,
  ADD CONSTRAINT outbox_payload_or_transaction CHECK ((payload IS NULL) <> (transaction_id IS NULL));

ALTER TABLE dead_letter
  ALTER COLUMN payload DROP NOT NULL,
  ADD COLUMN transaction_id uuid,
  ADD CONSTRAINT dead_letter_payload_or_transaction CHECK ((payload IS NULL) <> (transaction_id IS NULL));

-- Down Migration

-- Going back needs every stored body and event as text again; rendering them is the service's
-- job, so the way down refuses while any row holds only a transaction id.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM idempotency_keys WHERE transaction_id IS NOT NULL)
     OR EXISTS (SELECT 1 FROM outbox WHERE transaction_id IS NOT NULL)
     OR EXISTS (SELECT 1 FROM dead_letter WHERE transaction_id IS NOT NULL) THEN
    RAISE EXCEPTION 'rows stored by transaction id exist: purge or render them before migrating down';
  END IF;
END;
$$;
ALTER TABLE dead_letter DROP CONSTRAINT dead_letter_payload_or_transaction, DROP COLUMN transaction_id,
  ALTER COLUMN payload SET NOT NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_payload_or_transaction, DROP COLUMN transaction_id,
  ALTER COLUMN payload SET NOT NULL;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_body_or_transaction, DROP COLUMN transaction_id,
  ALTER COLUMN response_body SET NOT NULL;
