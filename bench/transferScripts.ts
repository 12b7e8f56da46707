import { CURRENCY, MERCHANT_NUMBER, AMOUNT_MAX } from './accounts.js';
import { PLAIN_SCHEMA } from './plainBaseline.js';

// The pgbench scripts of the baseline: the same transfer the service writes (row locks in id order,
// two balance updates, the transaction row, two entries, an outbox row, an idempotency row) as one
// plain SQL database transaction per transfer. Like the service's, its outbox and idempotency rows
// name the transaction instead of copying it.

export type BaselineKind = 'uniform' | 'hot';

/** `plain`: the baseline schema of plainBaseline.ts; `project`: the service's tables, with their statement triggers. */
export type BaselineTables = 'plain' | 'project';

/**
 * How the transfer takes its row locks:
 * - `select-locks`: `SELECT … FOR UPDATE` of both rows in id order, then the two balance updates;
 * - `update-locks`: no SELECT, the two balance updates in id order take the locks themselves (one
 *   statement and one round trip fewer), the accounts' CHECK refuses an overdraft and RETURNING
 *   gives each entry its balance_after and sequence.
 * The project's tables run `select-locks` only (the earlier baseline); the plain tables run both.
 */
export type PlainVariant = 'select-locks' | 'update-locks';

export const PLAIN_VARIANTS: PlainVariant[] = ['select-locks', 'update-locks'];

export interface TransferScript {
  kind: BaselineKind;
  accounts: number;
  tables: BaselineTables;
  variant: PlainVariant;
}

function sourceAndDestination(kind: BaselineKind, accounts: number): string {
  if (kind === 'hot') return `\\set src random(${MERCHANT_NUMBER + 1}, ${accounts})\n\\set dst ${MERCHANT_NUMBER}`;
  return `\\set src random(1, ${accounts})\n\\set dst random(1, ${accounts - 1})\n\\set dst CASE WHEN :dst >= :src THEN :dst + 1 ELSE :dst END`;
}

/** The two balance updates; each RETURNING gives its entry's balance_after and sequence. */
function balanceUpdates(schemaPrefix: string): { debit: string; credit: string } {
  return {
    debit: `UPDATE ${schemaPrefix}accounts SET balance = balance - :amount, version = version + 1, updated_at = now() WHERE id = bench.account_id(:src) RETURNING balance AS src_balance, version AS src_sequence \\gset`,
    credit: `UPDATE ${schemaPrefix}accounts SET balance = balance + :amount, version = version + 1, updated_at = now() WHERE id = bench.account_id(:dst) RETURNING balance AS dst_balance, version AS dst_sequence \\gset`,
  };
}

/**
 * The row locks and balance updates. Both variants lock in id order, so two transfers between the
 * same accounts never deadlock. A seeded account's id grows with its number (accounts.ts), so
 * without a SELECT the script orders the updates by number.
 */
function lockAndUpdate(schemaPrefix: string, variant: PlainVariant): string {
  const { debit, credit } = balanceUpdates(schemaPrefix);
  if (variant === 'select-locks') {
    return `SELECT id FROM ${schemaPrefix}accounts WHERE id IN (bench.account_id(:src), bench.account_id(:dst)) ORDER BY id FOR UPDATE;
${debit}
${credit}`;
  }
  return `\\if :src < :dst
${debit}
${credit}
\\else
${credit}
${debit}
\\endif`;
}

/**
 * One client's transfer. The script notifies after COMMIT: inside the transaction, PostgreSQL's
 * NOTIFY lock would serialize the clients' commits (the service commits a batch per transaction and
 * lets the trigger notify inside). The project's outbox trigger is told so; the plain tables have none.
 */
export function transferScript({ kind, accounts, tables, variant }: TransferScript): string {
  const schemaPrefix = tables === 'plain' ? `${PLAIN_SCHEMA}.` : '';
  const notifyAfterCommit = tables === 'project' ? "SELECT set_config('wallet_ledger.notify_after_commit', 'on', true);\n" : '';
  return `${sourceAndDestination(kind, accounts)}
\\set amount random(1, ${AMOUNT_MAX})
BEGIN;
${notifyAfterCommit}${lockAndUpdate(schemaPrefix, variant)}
INSERT INTO ${schemaPrefix}ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, metadata, created_at) VALUES (bench.uuid_v7(), 'transfer', :amount, '${CURRENCY}', bench.account_id(:src), bench.account_id(:dst), '{}', now()) RETURNING id AS transaction_id \\gset
INSERT INTO ${schemaPrefix}ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at) VALUES (bench.uuid_v7(), :transaction_id, bench.account_id(:src), 'debit', :amount, :src_balance, :src_sequence, now()), (bench.uuid_v7(), :transaction_id, bench.account_id(:dst), 'credit', :amount, :dst_balance, :dst_sequence, now());
INSERT INTO ${schemaPrefix}outbox (event_id, event_type, routing_key, transaction_id, created_at) VALUES (bench.uuid_v7(), 'transfer.posted', 'ledger.transfer.posted', :transaction_id, now());
INSERT INTO ${schemaPrefix}idempotency_keys (key, fingerprint, status_code, transaction_id, created_at, expires_at) VALUES (gen_random_uuid()::text, :fingerprint, 201, :transaction_id, now(), now() + interval '24 hours');
COMMIT;
SELECT pg_notify('outbox', '');
`;
}

/** The script as pgbench's file: its name says which transfer it is. */
export function transferScriptFile(script: TransferScript): { name: string; text: string } {
  return { name: `transfer-${script.tables}-${script.variant}-${script.kind}`, text: transferScript(script) };
}
