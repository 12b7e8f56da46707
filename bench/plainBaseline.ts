import { withClient } from './database.js';

// The strongest honest baseline's tables: the same rows a transfer writes, in a schema of their
// own (`baseline`, in the bench database) laid out as a competent engineer would lay out a plain
// ledger, without the project's triggers. The project's statement triggers are tuned for the
// service's batch statements: a pgbench transfer, one row per statement, pays their whole cost
// once per row, which would flatter the service's ratios.
//
// What stays, because a real ledger keeps it and it holds the same guarantees as the service:
// - the same columns and types (money as numeric(38,0), uuid ids, timestamps), so as many bytes;
// - CHECK constraints, row by row and cheap: no wallet below zero, positive amounts;
// - foreign keys from transactions and entries to accounts and from entries to their transaction:
//   the service checks the same references (in statement triggers), and a ledger whose entries can
//   name no account is not one. Inside the transfer they find rows it already holds FOR UPDATE;
// - the indexes the service's reads and housekeeping need: an account's entries by sequence (also
//   what keeps sequences unique), a transaction's entries, due outbox rows, expired idempotency keys.
// What goes: the triggers (double entry and immutability are the code's and the privileges' job
// here), the account columns a transfer never reads, and the outbox's second key: its event id
// (a time-ordered UUID) is the primary key and gives the delivery order, one index fewer per row.
// Accounts keep free room on each page (fillfactor) so a balance update stays a HOT update.
//
// Holds (authorize, then capture) add what the same engineer would add for them: pending sums on
// the accounts, whose CHECK makes "available" (balance - pending_debits) the amount a wallet can
// neither spend nor reserve beyond; a holds table with its foreign keys, CHECKs and the indexes of
// the reads (an account's holds as source and as destination, the expiry sweep's pending holds by
// expires_at); the append-only hold changes, one per hold and state; the ledger transaction naming
// the hold it captured. A hold's capture_transaction_id has no foreign key: the capture stamps it
// in the statement that claims the hold, before the ledger transaction exists, and the
// transaction's hold_id is the reference the database keeps.

export const PLAIN_SCHEMA = 'baseline';

const PLAIN_TABLES_SQL = `
CREATE SCHEMA baseline;

CREATE TABLE baseline.accounts (
  id          uuid PRIMARY KEY,
  kind        text NOT NULL,
  currency    text NOT NULL,
  balance     numeric(38, 0) NOT NULL,
  version     bigint NOT NULL,
  pending_debits   numeric(38, 0) NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
  pending_credits  numeric(38, 0) NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  -- No wallet spends or reserves more than it has: with no hold pending, its balance stays >= 0.
  CHECK (kind <> 'user' OR balance - pending_debits >= 0)
) WITH (fillfactor = 70);

CREATE TABLE baseline.holds (
  id                      uuid PRIMARY KEY,
  status                  text NOT NULL CHECK (status IN ('pending', 'captured', 'voided', 'expired')),
  source_account_id       uuid NOT NULL REFERENCES baseline.accounts (id),
  destination_account_id  uuid NOT NULL REFERENCES baseline.accounts (id),
  amount                  numeric(38, 0) NOT NULL CHECK (amount > 0),
  captured_amount         numeric(38, 0) NOT NULL DEFAULT 0 CHECK (captured_amount >= 0 AND captured_amount <= amount),
  currency                text NOT NULL,
  expires_at              timestamptz NOT NULL,
  capture_transaction_id  uuid,
  description             text,
  metadata                jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at              timestamptz NOT NULL,
  updated_at              timestamptz NOT NULL,
  CHECK (source_account_id <> destination_account_id),
  CHECK ((status = 'captured') = (capture_transaction_id IS NOT NULL))
);
-- An account's holds, newest first, as source or as destination; the expiry sweep's due holds.
CREATE INDEX ON baseline.holds (source_account_id, created_at DESC, id DESC);
CREATE INDEX ON baseline.holds (destination_account_id, created_at DESC, id DESC);
CREATE INDEX ON baseline.holds (expires_at) WHERE status = 'pending';

CREATE TABLE baseline.ledger_transactions (
  id                      uuid PRIMARY KEY,
  type                    text NOT NULL,
  amount                  numeric(38, 0) NOT NULL CHECK (amount > 0),
  currency                text NOT NULL,
  source_account_id       uuid NOT NULL REFERENCES baseline.accounts (id),
  destination_account_id  uuid NOT NULL REFERENCES baseline.accounts (id),
  description             text,
  metadata                jsonb NOT NULL DEFAULT '{}'::jsonb,
  hold_id                 uuid REFERENCES baseline.holds (id),
  created_at              timestamptz NOT NULL
);

CREATE TABLE baseline.ledger_entries (
  id              uuid PRIMARY KEY,
  transaction_id  uuid NOT NULL REFERENCES baseline.ledger_transactions (id),
  account_id      uuid NOT NULL REFERENCES baseline.accounts (id),
  direction       text NOT NULL,
  amount          numeric(38, 0) NOT NULL CHECK (amount > 0),
  balance_after   numeric(38, 0) NOT NULL,
  sequence        bigint NOT NULL,
  created_at      timestamptz NOT NULL,
  UNIQUE (account_id, sequence)
);
CREATE INDEX ON baseline.ledger_entries (transaction_id);

-- Every state a hold takes, appended: keyed by hold and state, and a hold leaves pending once.
CREATE TABLE baseline.hold_changes (
  hold_id         uuid NOT NULL REFERENCES baseline.holds (id),
  status          text NOT NULL CHECK (status IN ('pending', 'captured', 'voided', 'expired')),
  amount          numeric(38, 0) NOT NULL CHECK (amount >= 0),
  transaction_id  uuid REFERENCES baseline.ledger_transactions (id),
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (hold_id, status)
);
CREATE UNIQUE INDEX ON baseline.hold_changes (hold_id) WHERE status <> 'pending';

CREATE TABLE baseline.outbox (
  event_id         uuid PRIMARY KEY,
  event_type       text NOT NULL,
  routing_key      text NOT NULL,
  payload          jsonb,
  transaction_id   uuid,
  hold_id          uuid,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  created_at       timestamptz NOT NULL,
  published_at     timestamptz
);
CREATE INDEX ON baseline.outbox (next_attempt_at) WHERE published_at IS NULL;

CREATE TABLE baseline.idempotency_keys (
  key             text PRIMARY KEY,
  fingerprint     text NOT NULL,
  status_code     smallint NOT NULL,
  response_body   text,
  transaction_id  uuid,
  hold_id         uuid,
  created_at      timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL
);
CREATE INDEX ON baseline.idempotency_keys (expires_at);

-- The same seeded accounts, with the same deposits behind their balances.
INSERT INTO baseline.accounts (id, kind, currency, balance, version, created_at, updated_at)
SELECT id, kind, currency, balance, version, created_at, updated_at FROM public.accounts;
INSERT INTO baseline.ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, description, metadata, created_at)
SELECT id, type, amount, currency, source_account_id, destination_account_id, description, metadata, created_at FROM public.ledger_transactions;
INSERT INTO baseline.ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at)
SELECT id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at FROM public.ledger_entries;
`;

/** Creates the plain tables and copies the seeded ledger into them: run right after the seed, before any service writes. */
export async function createPlainBaseline(url: string): Promise<void> {
  await withClient(url, async (client) => {
    // One simple-protocol query string: its statements run in one implicit database transaction.
    await client.query(PLAIN_TABLES_SQL);
    await client.query('VACUUM (ANALYZE)');
  });
}
