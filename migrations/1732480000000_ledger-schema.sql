-- Up Migration

-- Wallets and the per-currency settlement accounts that deposits and withdrawals post against.
-- Money is numeric(38,0): integers of minor units up to 10^38 - 1, never floats.
CREATE TABLE accounts (
  id            uuid PRIMARY KEY,
  kind          text NOT NULL DEFAULT 'user' CHECK (kind IN ('user', 'settlement')),
  currency      text NOT NULL CHECK (currency ~ '^[A-Z0-9]{3,10}$'),
  balance       numeric(38, 0) NOT NULL DEFAULT 0,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active')),
  external_ref  text UNIQUE,
  metadata      jsonb NOT NULL DEFAULT '{}'::jsonb,
  version       bigint NOT NULL DEFAULT 0 CHECK (version >= 0),
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  -- The last line of defence behind the code's own check: a wallet never goes below zero.
  CONSTRAINT accounts_user_balance_not_negative CHECK (kind <> 'user' OR balance >= 0)
);

CREATE UNIQUE INDEX accounts_one_settlement_per_currency ON accounts (currency) WHERE kind = 'settlement';

-- A ledger transaction moves `amount` from its source account to its destination account.
CREATE TABLE ledger_transactions (
  id                      uuid PRIMARY KEY,
  type                    text NOT NULL CHECK (type IN ('deposit', 'withdrawal', 'transfer')),
  status                  text NOT NULL DEFAULT 'posted' CHECK (status IN ('posted')),
  amount                  numeric(38, 0) NOT NULL CHECK (amount > 0),
  currency                text NOT NULL,
  source_account_id       uuid NOT NULL REFERENCES accounts (id),
  destination_account_id  uuid NOT NULL REFERENCES accounts (id),
  description             text,
  metadata                jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at              timestamptz NOT NULL,
  CHECK (source_account_id <> destination_account_id)
);

-- One row per side of a transaction. `sequence` numbers an account's entries 1, 2, 3... without gaps.
CREATE TABLE ledger_entries (
  id              uuid PRIMARY KEY,
  transaction_id  uuid NOT NULL REFERENCES ledger_transactions (id),
  account_id      uuid NOT NULL REFERENCES accounts (id),
  direction       text NOT NULL CHECK (direction IN ('debit', 'credit')),
  amount          numeric(38, 0) NOT NULL CHECK (amount > 0),
  balance_after   numeric(38, 0) NOT NULL,
  sequence        bigint NOT NULL CHECK (sequence > 0),
  created_at      timestamptz NOT NULL,
  CONSTRAINT ledger_entries_account_sequence UNIQUE (account_id, sequence)
);

CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);

-- Ledger rows are facts: they are written once and never changed or removed.
CREATE FUNCTION reject_ledger_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger rows are immutable: % on % is not allowed', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER ledger_transactions_immutable BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION reject_ledger_mutation();
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION reject_ledger_mutation();
CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION reject_ledger_mutation();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION reject_ledger_mutation();

-- Double entry, checked by the database as well as by the code: every statement that inserts
-- entries must leave each transaction it touches with debits equal to credits.
CREATE FUNCTION check_entries_balance() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS new_entries
  FOR EACH STATEMENT EXECUTE FUNCTION check_entries_balance();

-- Stored outcomes of requests that carried an Idempotency-Key, written in the same database
-- transaction as their effects. The body is text so that a replay returns the original bytes.
CREATE TABLE idempotency_keys (
  key            text PRIMARY KEY,
  fingerprint    text NOT NULL,
  status_code    smallint NOT NULL,
  response_body  text NOT NULL,
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Events to publish, written in the same database transaction as the change they describe.
CREATE TABLE outbox (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id         uuid NOT NULL UNIQUE,
  event_type       text NOT NULL,
  routing_key      text NOT NULL,
  payload          jsonb NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  published_at     timestamptz
);

CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Events whose publishing failed OUTBOX_MAX_ATTEMPTS times, kept for inspection and replay.
CREATE TABLE dead_letter (
  id               bigint PRIMARY KEY,
  event_id         uuid NOT NULL UNIQUE,
  event_type       text NOT NULL,
  routing_key      text NOT NULL,
  payload          jsonb NOT NULL,
  attempts         integer NOT NULL,
  last_error       text,
  created_at       timestamptz NOT NULL,
  dead_at          timestamptz NOT NULL DEFAULT now()
);

-- One wake-up per inserting statement (the write path inserts a batch's events in one statement),
-- delivered at commit: the relay listens on this channel.
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();

-- Down Migration

DROP TABLE dead_letter, outbox, idempotency_keys, ledger_entries, ledger_transactions, accounts;
DROP FUNCTION notify_outbox(), check_entries_balance(), reject_ledger_mutation();
