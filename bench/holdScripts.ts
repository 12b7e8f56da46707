import { AMOUNT_MAX, CURRENCY } from './accounts.js';
import { PLAIN_SCHEMA } from './plainBaseline.js';
import type { PlainVariant } from './transferScripts.js';

// The pgbench script of the authorize-then-capture baseline: the two steps the service's scenario
// sends (POST /v1/holds, then POST /v1/holds/{id}/capture of the whole amount) as two plain SQL
// database transactions in one script, on the plain tables of plainBaseline.ts. pgbench counts one
// "transaction" per script, so one per pair: two writes.
//
// Authorize: the two accounts' rows locked in id order (the source's pending_debits and the
// destination's pending_credits grow; the accounts' CHECK refuses a reservation beyond the
// available balance), the hold, its pending change, its outbox row (hold.created) and its
// idempotency row, both naming the hold as the service's do. Capture: the hold claimed (status
// pending to captured, which refuses a hold already captured or voided: its statement then returns
// no row and \gset fails the client), the two accounts in id order (balances moved, pending sums
// released), the ledger transaction naming the hold, its two entries, the captured change, two
// outbox rows (transfer.posted naming the transaction, hold.captured naming the hold, as the
// service's do) and the idempotency row. Each step notifies after its COMMIT, as the transfer
// baseline does (transferScripts.ts). Ids the later statements need (entry ids) come back with the
// first statement's RETURNING, so no statement is added to fetch them.
//
// The variants take the locks as the transfer's do: `select-locks` first locks the hold and the
// accounts with SELECT … FOR UPDATE; `update-locks` lets the updates take them, one statement and
// round trip fewer per lock.

/** How long a benchmark hold would stay pending before the expiry sweep voided it. */
const HOLD_EXPIRY = "interval '7 days'";
/** How long an idempotency row is kept, as in the transfer baseline. */
const IDEMPOTENCY_RETENTION = "interval '24 hours'";

export interface AuthorizeCaptureScript {
  accounts: number;
  variant: PlainVariant;
}

const plain = `${PLAIN_SCHEMA}.`;
function randomPair(accounts: number): string {
  return `\\set src random(1, ${accounts})\n\\set dst random(1, ${accounts - 1})\n\\set dst CASE WHEN :dst >= :src THEN :dst + 1 ELSE :dst END`;
}

/** Two statements run in the accounts' id order (a seeded account's id grows with its number): no deadlock between two pairs. */
function inIdOrder(sourceStatement: string, destinationStatement: string): string {
  return `\\if :src < :dst
${sourceStatement}
${destinationStatement}
\\else
${destinationStatement}
${sourceStatement}
\\endif`;
}

function lockAccounts(variant: PlainVariant): string {
  if (variant === 'update-locks') return '';
  return `SELECT id FROM ${plain}accounts WHERE id IN (bench.account_id(:src), bench.account_id(:dst)) ORDER BY id FOR UPDATE;\n`;
}

function authorize(variant: PlainVariant): string {
  const reserve = `UPDATE ${plain}accounts SET pending_debits = pending_debits + :amount, updated_at = now() WHERE id = bench.account_id(:src);`;
  const expect = `UPDATE ${plain}accounts SET pending_credits = pending_credits + :amount, updated_at = now() WHERE id = bench.account_id(:dst);`;
  return `BEGIN;
${lockAccounts(variant)}${inIdOrder(reserve, expect)}
INSERT INTO ${plain}holds AS h (id, status, source_account_id, destination_account_id, amount, captured_amount, currency, expires_at, metadata, created_at, updated_at) VALUES (bench.uuid_v7(), 'pending', bench.account_id(:src), bench.account_id(:dst), :amount, 0, '${CURRENCY}', now() + ${HOLD_EXPIRY}, '{}', now(), now()) RETURNING h.id AS hold_id \\gset
INSERT INTO ${plain}hold_changes (hold_id, status, amount, created_at) VALUES (:hold_id, 'pending', :amount, now());
INSERT INTO ${plain}outbox (event_id, event_type, routing_key, hold_id, created_at) VALUES (bench.uuid_v7(), 'hold.created', 'ledger.hold.created', :hold_id, now());
INSERT INTO ${plain}idempotency_keys (key, fingerprint, status_code, hold_id, created_at, expires_at) VALUES (gen_random_uuid()::text, :fingerprint, 201, :hold_id, now(), now() + ${IDEMPOTENCY_RETENTION});
COMMIT;
SELECT pg_notify('outbox', '');`;
}

function capture(variant: PlainVariant): string {
  const lockHold = variant === 'select-locks' ? `SELECT id FROM ${plain}holds WHERE id = :hold_id FOR UPDATE;\n` : '';
  const debit = `UPDATE ${plain}accounts SET balance = balance - :hold_amount, pending_debits = pending_debits - :hold_amount, version = version + 1, updated_at = now() WHERE id = bench.account_id(:src) RETURNING balance AS src_balance, version AS src_sequence \\gset`;
  const credit = `UPDATE ${plain}accounts SET balance = balance + :hold_amount, pending_credits = pending_credits - :hold_amount, version = version + 1, updated_at = now() WHERE id = bench.account_id(:dst) RETURNING balance AS dst_balance, version AS dst_sequence \\gset`;
  return `BEGIN;
${lockHold}UPDATE ${plain}holds AS h SET status = 'captured', captured_amount = amount, capture_transaction_id = bench.uuid_v7(), updated_at = now() WHERE id = :hold_id AND status = 'pending' RETURNING amount AS hold_amount, capture_transaction_id AS transaction_id, bench.uuid_v7() AS debit_entry_id, bench.uuid_v7() AS credit_entry_id \\gset
${lockAccounts(variant)}${inIdOrder(debit, credit)}
INSERT INTO ${plain}ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, metadata, hold_id, created_at) VALUES (:transaction_id, 'transfer', :hold_amount, '${CURRENCY}', bench.account_id(:src), bench.account_id(:dst), '{}', :hold_id, now());
INSERT INTO ${plain}ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at) VALUES (:debit_entry_id, :transaction_id, bench.account_id(:src), 'debit', :hold_amount, :src_balance, :src_sequence, now()), (:credit_entry_id, :transaction_id, bench.account_id(:dst), 'credit', :hold_amount, :dst_balance, :dst_sequence, now());
INSERT INTO ${plain}hold_changes (hold_id, status, amount, transaction_id, created_at) VALUES (:hold_id, 'captured', :hold_amount, :transaction_id, now());
INSERT INTO ${plain}outbox (event_id, event_type, routing_key, transaction_id, hold_id, created_at) VALUES (bench.uuid_v7(), 'transfer.posted', 'ledger.transfer.posted', :transaction_id, NULL, now()), (bench.uuid_v7(), 'hold.captured', 'ledger.hold.captured', NULL, :hold_id, now());
INSERT INTO ${plain}idempotency_keys (key, fingerprint, status_code, transaction_id, created_at, expires_at) VALUES (gen_random_uuid()::text, :fingerprint, 201, :transaction_id, now(), now() + ${IDEMPOTENCY_RETENTION});
COMMIT;
SELECT pg_notify('outbox', '');`;
}

/** One pair: a hold between two random seeded accounts, then its capture of the whole amount. */
export function authorizeCaptureScript({ accounts, variant }: AuthorizeCaptureScript): string {
  return `${randomPair(accounts)}
\\set amount random(1, ${AMOUNT_MAX})
${authorize(variant)}
${capture(variant)}
`;
}

/** The script as pgbench's file: its name says which variant it is. */
export function authorizeCaptureScriptFile(script: AuthorizeCaptureScript): { name: string; text: string } {
  return { name: `authorize-capture-plain-${script.variant}`, text: authorizeCaptureScript(script) };
}
