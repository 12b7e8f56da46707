import { AMOUNT_MAX, CURRENCY, FEE_NUMBER, MERCHANT_NUMBER, TAX_NUMBER } from './accounts.js';
import { PLAIN_SCHEMA } from './plainBaseline.js';
import type { PlainVariant } from './transferScripts.js';

// The pgbench script of the three-leg payment baseline (scenario 7): what POST /v1/transactions
// writes for a payer paying the merchant, a fee and a tax (loadScenarios.ts), as one plain SQL
// database transaction on the plain tables of plainBaseline.ts: the four accounts updated in id
// order (merchant, fee and tax account have the lowest numbers, so the lowest ids; the payer's
// three debits are one update), one ledger transaction (the plain tables have no nullable
// columns: it names the payer, the merchant and the total, as a single-currency schema would), its
// six entries with each balance_after and sequence, its outbox row and its idempotency row. It
// notifies after COMMIT, as the transfer baseline does (transferScripts.ts).

export interface MultiLegPaymentScript {
  accounts: number;
  variant: PlainVariant;
}

const plain = `${PLAIN_SCHEMA}.`;

function credit(name: string, number: number, amount: string): string {
  return `UPDATE ${plain}accounts SET balance = balance + ${amount}, version = version + 1, updated_at = now() WHERE id = bench.account_id(${number}) RETURNING balance AS ${name}_balance, version AS ${name}_sequence \\gset`;
}

function lockAccounts(variant: PlainVariant): string {
  if (variant === 'update-locks') return '';
  return `SELECT id FROM ${plain}accounts WHERE id IN (bench.account_id(${MERCHANT_NUMBER}), bench.account_id(${FEE_NUMBER}), bench.account_id(${TAX_NUMBER}), bench.account_id(:payer)) ORDER BY id FOR UPDATE;\n`;
}

/** One payment: the merchant's amount, a fee of 2% and a tax of 20% on top (rounded up), from a random payer. */
export function multiLegPaymentScript({ accounts, variant }: MultiLegPaymentScript): string {
  const entry = (id: string, account: string, direction: string, amount: string, balance: string, sequence: string) =>
    `(${id}, :transaction_id, bench.account_id(${account}), '${direction}', ${amount}, ${balance}, ${sequence}, now())`;
  return `\\set payer random(${TAX_NUMBER + 1}, ${accounts})
\\set amount random(1, ${AMOUNT_MAX})
\\set fee (:amount + 49) / 50
\\set tax (:amount + 4) / 5
\\set total :amount + :fee + :tax
BEGIN;
${lockAccounts(variant)}${credit('merchant', MERCHANT_NUMBER, ':amount')}
${credit('fee', FEE_NUMBER, ':fee')}
${credit('tax', TAX_NUMBER, ':tax')}
UPDATE ${plain}accounts SET balance = balance - :total, version = version + 3, updated_at = now() WHERE id = bench.account_id(:payer) RETURNING balance AS payer_balance, version AS payer_sequence \\gset
INSERT INTO ${plain}ledger_transactions (id, type, amount, currency, source_account_id, destination_account_id, metadata, created_at) VALUES (bench.uuid_v7(), 'multi_leg', :total, '${CURRENCY}', bench.account_id(:payer), bench.account_id(${MERCHANT_NUMBER}), '{}', now()) RETURNING id AS transaction_id \\gset
INSERT INTO ${plain}ledger_entries (id, transaction_id, account_id, direction, amount, balance_after, sequence, created_at) VALUES ${[
    entry('bench.uuid_v7()', ':payer', 'debit', ':amount', 'CAST(:payer_balance AS numeric) + :fee + :tax', 'CAST(:payer_sequence AS bigint) - 2'),
    entry('bench.uuid_v7()', String(MERCHANT_NUMBER), 'credit', ':amount', ':merchant_balance', ':merchant_sequence'),
    entry('bench.uuid_v7()', ':payer', 'debit', ':fee', 'CAST(:payer_balance AS numeric) + :tax', 'CAST(:payer_sequence AS bigint) - 1'),
    entry('bench.uuid_v7()', String(FEE_NUMBER), 'credit', ':fee', ':fee_balance', ':fee_sequence'),
    entry('bench.uuid_v7()', ':payer', 'debit', ':tax', ':payer_balance', ':payer_sequence'),
    entry('bench.uuid_v7()', String(TAX_NUMBER), 'credit', ':tax', ':tax_balance', ':tax_sequence'),
  ].join(', ')};
INSERT INTO ${plain}outbox (event_id, event_type, routing_key, transaction_id, created_at) VALUES (bench.uuid_v7(), 'multi_leg.posted', 'ledger.multi_leg.posted', :transaction_id, now());
INSERT INTO ${plain}idempotency_keys (key, fingerprint, status_code, transaction_id, created_at, expires_at) VALUES (gen_random_uuid()::text, :fingerprint, 201, :transaction_id, now(), now() + interval '24 hours');
COMMIT;
SELECT pg_notify('outbox', '');
`;
}

/** The script as pgbench's file: its name says which variant it is. */
export function multiLegPaymentScriptFile(script: MultiLegPaymentScript): { name: string; text: string } {
  return { name: `multi-leg-payment-plain-${script.variant}`, text: multiLegPaymentScript(script) };
}
