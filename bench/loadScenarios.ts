import { randomInt, randomUUID } from 'node:crypto';
import { accountId, AMOUNT_MAX, CURRENCY, FEE_NUMBER, MERCHANT_NUMBER, TAX_NUMBER } from './accounts.js';

// What each HTTP scenario sends: one request at a time, every write with a fresh Idempotency-Key,
// between seeded accounts that can always pay (so every request should get a 2xx).

export type HttpScenarioKind = 'uniform' | 'hot' | 'deposit_withdraw' | 'mixed' | 'multi_leg_payment';

/**
 * A scenario whose requests depend on the answers before them: each connection loops over
 * POST /v1/holds, then POST /v1/holds/{the answer's id}/capture (holdSequence.ts).
 */
export type SequenceScenarioKind = 'authorize_capture';

export type LoadKind = HttpScenarioKind | SequenceScenarioKind;

export function isSequenceKind(kind: LoadKind): kind is SequenceScenarioKind {
  return kind === 'authorize_capture';
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/** Share of the mixed scenario's requests that are reads. */
export const MIXED_READ_SHARE = 0.8;

export function nextRequest(kind: HttpScenarioKind, accounts: number): HttpRequest {
  switch (kind) {
    case 'uniform': {
      const source = randomInt(1, accounts + 1);
      return transfer(source, otherAccount(source, accounts));
    }
    case 'hot':
      return transfer(randomInt(MERCHANT_NUMBER + 1, accounts + 1), MERCHANT_NUMBER);
    case 'deposit_withdraw':
      return depositOrWithdrawal(randomInt(1, accounts + 1), Math.random() < 0.5 ? 'deposit' : 'withdraw');
    case 'mixed':
      if (Math.random() < MIXED_READ_SHARE) return accountRead(accounts);
      return nextRequest('uniform', accounts);
    case 'multi_leg_payment':
      return multiLegPayment(randomInt(TAX_NUMBER + 1, accounts + 1));
  }
}

/** A read of a random account: warms connections up without writing anything. */
export function accountRead(accounts: number): HttpRequest {
  return { method: 'GET', path: `/v1/accounts/${accountId(randomInt(1, accounts + 1))}` };
}

/** The headers of a request; writes carry a fresh Idempotency-Key. */
export function requestHeaders(request: HttpRequest, apiKey: string): Record<string, string> {
  if (request.method === 'GET') return { 'x-service-api-key': apiKey };
  return { 'x-service-api-key': apiKey, 'content-type': 'application/json', 'idempotency-key': randomUUID() };
}

function otherAccount(number: number, accounts: number): number {
  const other = randomInt(1, accounts);
  return other >= number ? other + 1 : other;
}

function transfer(source: number, destination: number): HttpRequest {
  const body = {
    source_account_id: accountId(source),
    destination_account_id: accountId(destination),
    amount: String(randomInt(1, AMOUNT_MAX + 1)),
    currency: CURRENCY,
  };
  return { method: 'POST', path: '/v1/transactions/transfer', body: JSON.stringify(body) };
}

/**
 * A payment in three legs, one ledger transaction: the payer pays the merchant, and a fee and a tax
 * on top to their accounts (three hot rows, as the hot-account scenario's one).
 */
function multiLegPayment(payer: number): HttpRequest {
  const amount = randomInt(1, AMOUNT_MAX + 1);
  const leg = (destination: number, legAmount: number) => ({
    source_account_id: accountId(payer), destination_account_id: accountId(destination), amount: String(legAmount), currency: CURRENCY,
  });
  const legs = [leg(MERCHANT_NUMBER, amount), leg(FEE_NUMBER, Math.ceil(amount / 50)), leg(TAX_NUMBER, Math.ceil(amount / 5))];
  return { method: 'POST', path: '/v1/transactions', body: JSON.stringify({ legs }) };
}

function depositOrWithdrawal(number: number, verb: 'deposit' | 'withdraw'): HttpRequest {
  const body = { account_id: accountId(number), amount: String(randomInt(1, AMOUNT_MAX + 1)), currency: CURRENCY };
  return { method: 'POST', path: `/v1/transactions/${verb}`, body: JSON.stringify(body) };
}

/** A hold on a random account for a random other account, as the authorize-then-capture scenario's first step. */
export function holdRequest(accounts: number): HttpRequest {
  const source = randomInt(1, accounts + 1);
  const body = {
    source_account_id: accountId(source),
    destination_account_id: accountId(otherAccount(source, accounts)),
    amount: String(randomInt(1, AMOUNT_MAX + 1)),
    currency: CURRENCY,
  };
  return { method: 'POST', path: '/v1/holds', body: JSON.stringify(body) };
}

/** The capture of a hold's whole amount (no `amount`: the API captures all of it). */
export function captureRequest(holdId: string): HttpRequest {
  return { method: 'POST', path: `/v1/holds/${encodeURIComponent(holdId)}/capture`, body: '{}' };
}
