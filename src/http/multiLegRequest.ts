import { settlementAccountId } from '../ids.js';
import type { IdempotencyClaim, Leg, PostMultiLeg } from '../ledger/operations.js';
import { inStoredKeyOrder } from '../ledger/storedKeyOrder.js';
import { parseAmount } from '../money.js';
import { SETTLEMENT_NAME_PREFIX, type MultiLegBody } from './schemas.js';

// POST /v1/transactions as the write path takes it: each leg's accounts by id (a settlement
// account named `settlement:<CURRENCY>` becomes its id, which every replica derives alike), ids in
// PostgreSQL's lower-case spelling, amounts as bigint.

export function legsOf(body: MultiLegBody): Leg[] {
  return body.legs.map((leg) => ({
    sourceAccountId: accountIdOf(leg.source_account_id),
    destinationAccountId: accountIdOf(leg.destination_account_id),
    amount: parseAmount(leg.amount)!,
    currency: leg.currency,
  }));
}

/** The body as its idempotency fingerprint sees it: amounts sent as 1050 or "1050" are one request. */
export function canonicalMultiLegBody(body: MultiLegBody, legs: readonly Leg[]): MultiLegBody {
  return { ...body, legs: body.legs.map((leg, index) => ({ ...leg, amount: legs[index]!.amount.toString() })) };
}

export function multiLegOperation(body: MultiLegBody, legs: Leg[], idempotency: IdempotencyClaim): PostMultiLeg {
  return { kind: 'multi_leg', legs, description: body.description ?? null, metadata: inStoredKeyOrder(body.metadata ?? {}), idempotency };
}

function accountIdOf(named: string): string {
  return named.startsWith(SETTLEMENT_NAME_PREFIX) ? settlementAccountId(named.slice(SETTLEMENT_NAME_PREFIX.length)) : named.toLowerCase();
}
