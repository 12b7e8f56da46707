import assert from 'node:assert/strict';
import { UNKNOWN_ID } from '../http/helpers.js';
import { LedgerCommand } from './holdCommands.js';
import { assertOutcome, available, move, nextKey, pick, post, rejection, settlement, type Expected, type Model, type ModelAccount, type Real } from './holdModel.js';

// The multi-leg command of modelBasedMultiLeg.test.ts: the model decides every leg in order as the
// ledger must (the first refused leg refuses the whole, naming it), checks balances once all legs
// are applied, and moves the money only when the API acknowledged the whole.

/** A leg's side: a wallet (a negative index names no account), or a currency's settlement account by name or by id. */
export type LegSide = { kind: 'wallet'; index: number } | { kind: 'settlement'; currencyIndex: number; byName: boolean };

export interface ModelLeg {
  source: LegSide;
  destination: LegSide;
  amount: bigint;
  /** The currency the leg names, by index; null names none. */
  currencyIndex: number | null;
}

interface Side {
  named: string;
  id: string;
  account: ModelAccount | undefined;
}

export class PostMultiLeg extends LedgerCommand {
  constructor(readonly legs: ModelLeg[]) {
    super();
  }

  async apply(model: Model, real: Real) {
    const sides = this.legs.map((leg) => [this.side(model, leg.source), this.side(model, leg.destination)] as const);
    const body = {
      legs: this.legs.map((leg, index) => ({
        source_account_id: sides[index]![0].named,
        destination_account_id: sides[index]![1].named,
        amount: leg.amount.toString(),
        ...(leg.currencyIndex === null ? {} : { currency: model.currencies[leg.currencyIndex]! }),
      })),
    };
    const response = await post(real, model, '/v1/transactions', body, nextKey(model));
    const expected = this.expect(model, sides);
    assertOutcome(response, expected.outcome, this.toString());
    if (response.status !== 201) {
      if (expected.leg !== undefined) assert.equal(response.body.leg, expected.leg, `${this.toString()}: the refused leg`);
      return;
    }
    for (const [index, [source, destination]] of sides.entries()) move(source.account!, destination.account!, this.legs[index]!.amount);
  }

  /** The first refused leg's rejection(s), or the shortfall found once all legs are applied. */
  private expect(model: Model, sides: ReadonlyArray<readonly [Side, Side]>): { outcome: Expected | Expected[]; leg?: number } {
    const balances = new Map<ModelAccount, bigint>();
    const lastDebitLeg = new Map<ModelAccount, number>();
    for (const [index, [source, destination]] of sides.entries()) {
      const refused = legRejection(model, source, destination, this.legs[index]!.currencyIndex);
      if (refused) return { outcome: refused, leg: index };
      const amount = this.legs[index]!.amount;
      balances.set(source.account!, (balances.get(source.account!) ?? source.account!.balance) - amount);
      balances.set(destination.account!, (balances.get(destination.account!) ?? destination.account!.balance) + amount);
      lastDebitLeg.set(source.account!, index);
    }
    for (const [account, index] of lastDebitLeg) {
      const outflow = account.balance - balances.get(account)!;
      if (account.kind === 'user' && outflow > 0n && available(account) < outflow) return { outcome: rejection(422, 'insufficient_funds'), leg: index };
    }
    return { outcome: { status: 201 } };
  }

  private side(model: Model, side: LegSide): Side {
    if (side.kind === 'wallet') {
      const account = pick(model.wallets, side.index);
      return { named: account?.id ?? UNKNOWN_ID, id: account?.id ?? UNKNOWN_ID, account };
    }
    const currency = model.currencies[side.currencyIndex]!;
    const account = settlement(model, currency);
    return { named: side.byName ? `settlement:${currency}` : account.id, id: account.id, account };
  }

  toString() {
    const side = (s: LegSide) => (s.kind === 'wallet' ? `${s.index}` : `settlement ${s.currencyIndex}${s.byName ? ' by name' : ''}`);
    return `MultiLeg(${this.legs.map((leg) => `${side(leg.source)} → ${side(leg.destination)} ${leg.amount}${leg.currencyIndex === null ? '' : ` cur ${leg.currencyIndex}`}`).join('; ')})`;
  }
}

/**
 * A leg's refusal before the money: same account, unknown account, currencies. A settlement account
 * that nothing has posted against yet may not exist, unless the leg pairs it with a wallet of its
 * currency (the ledger opens it then): the ledger may find it missing before it compares currencies.
 */
function legRejection(model: Model, source: Side, destination: Side, currencyIndex: number | null): Expected | Expected[] | undefined {
  if (source.id === destination.id) return rejection(422, 'same_account');
  if (!source.account || !destination.account) return rejection(404, 'account_not_found');
  const mismatch = source.account.currency !== destination.account.currency
    || (currencyIndex !== null && model.currencies[currencyIndex] !== source.account.currency);
  if (!mismatch) return undefined;
  const settlementInDoubt = source.account.kind === 'settlement' || destination.account.kind === 'settlement';
  return settlementInDoubt ? [rejection(422, 'currency_mismatch'), rejection(404, 'account_not_found')] : rejection(422, 'currency_mismatch');
}
