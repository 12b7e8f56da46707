import assert from 'node:assert/strict';
import type fc from 'fast-check';
import { UNKNOWN_ID } from '../http/helpers.js';
import {
  assertAccountsMatch, assertOutcome, expectDebit, move, nextKey, pick, post, rejection, settlement,
  type Expected, type Model, type ModelAccount, type ModelTransaction, type Real,
} from './holdModel.js';

// The commands of modelBasedHolds.test.ts that move money or open accounts, and the abstract
// command every one of them extends. The hold and reversal commands are in holdAndReversalCommands.ts.

export abstract class LedgerCommand implements fc.AsyncCommand<Model, Real> {
  check(_model: Readonly<Model>): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    await this.apply(model, real);
    await assertAccountsMatch(model, real);
  }
  abstract apply(model: Model, real: Real): Promise<void>;
  abstract toString(): string;
}

/** Records an acknowledged posting, which a later reversal may name. */
export function remember(model: Model, id: string, type: ModelTransaction['type'], source: ModelAccount, destination: ModelAccount, amount: bigint): void {
  model.transactions.push({ id, type, source, destination, amount, reversed: 0n });
}

export class OpenAccount extends LedgerCommand {
  constructor(readonly currencyIndex: number) {
    super();
  }
  async apply(model: Model, real: Real) {
    const currency = model.currencies[this.currencyIndex]!;
    const response = await post(real, model, '/v1/accounts', { currency, metadata: { n: model.wallets.length } }, nextKey(model));
    assertOutcome(response, { status: 201 }, this.toString());
    model.wallets.push({ id: response.body.id, kind: 'user', currency, balance: 0n, version: 0n, pendingDebits: 0n, pendingCredits: 0n });
  }
  toString() {
    return `OpenAccount(currency ${this.currencyIndex})`;
  }
}

export class DepositOrWithdraw extends LedgerCommand {
  constructor(readonly kind: 'deposit' | 'withdraw', readonly walletIndex: number, readonly amount: bigint) {
    super();
  }
  async apply(model: Model, real: Real) {
    const wallet = pick(model.wallets, this.walletIndex);
    const body = { account_id: wallet?.id ?? UNKNOWN_ID, amount: this.amount.toString() };
    const response = await post(real, model, `/v1/transactions/${this.kind}`, body, nextKey(model));
    if (!wallet) return assertOutcome(response, rejection(404, 'account_not_found'), this.toString());
    const house = settlement(model, wallet.currency);
    const [source, destination] = this.kind === 'deposit' ? [house, wallet] : [wallet, house];
    const expected = expectDebit(source, this.amount);
    assertOutcome(response, expected, this.toString());
    if (expected.status !== 201) return;
    move(source, destination, this.amount);
    remember(model, response.body.id, this.kind === 'deposit' ? 'deposit' : 'withdrawal', source, destination, this.amount);
  }
  toString() {
    return `${this.kind}(wallet ${this.walletIndex}, ${this.amount})`;
  }
}

export class Transfer extends LedgerCommand {
  constructor(readonly sourceIndex: number, readonly destinationIndex: number, readonly amount: bigint) {
    super();
  }
  async apply(model: Model, real: Real) {
    const source = pick(model.wallets, this.sourceIndex);
    const destination = pick(model.wallets, this.destinationIndex);
    const body = { source_account_id: source?.id ?? UNKNOWN_ID, destination_account_id: destination?.id ?? UNKNOWN_ID, amount: this.amount.toString() };
    const response = await post(real, model, '/v1/transactions/transfer', body, nextKey(model));
    const expected = expectSides(body.source_account_id === body.destination_account_id, source, destination, undefined) ?? expectDebit(source!, this.amount);
    assertOutcome(response, expected, this.toString());
    if (expected.status !== 201) return;
    move(source!, destination!, this.amount);
    remember(model, response.body.id, 'transfer', source!, destination!, this.amount);
  }
  toString() {
    return `Transfer(${this.sourceIndex} → ${this.destinationIndex}, ${this.amount})`;
  }
}

/** The checks a transfer and a hold share before the money: same account, unknown account, currency. */
export function expectSides(same: boolean, source: ModelAccount | undefined, destination: ModelAccount | undefined, currency: string | undefined): Expected | undefined {
  if (same) return rejection(422, 'same_account');
  if (!source || !destination) return rejection(404, 'account_not_found');
  if (source.currency !== destination.currency) return rejection(422, 'currency_mismatch');
  if (currency !== undefined && currency !== source.currency) return rejection(422, 'currency_mismatch');
  return undefined;
}

export class Replay extends LedgerCommand {
  constructor(readonly historyIndex: number) {
    super();
  }
  override check(model: Readonly<Model>) {
    return model.history.length > 0;
  }
  async apply(model: Model, real: Real) {
    const earlier = pick(model.history, this.historyIndex)!;
    // A hold creation sent again after its expires_at has passed replays too (the route looks the key up).
    const response = await real.api.request('POST', earlier.url, { body: earlier.body, idempotencyKey: earlier.key });
    assert.equal(response.status, earlier.status, `${this.toString()} of ${earlier.url} ${JSON.stringify(earlier.body)}: ${response.raw}`);
    assert.equal(response.raw, earlier.raw, `${this.toString()}: the stored body, byte for byte`);
    assert.equal(response.headers['idempotent-replayed'], 'true');
  }
  toString() {
    return `Replay(${this.historyIndex})`;
  }
}

export class ReuseKey extends LedgerCommand {
  constructor(readonly historyIndex: number) {
    super();
  }
  override check(model: Readonly<Model>) {
    return model.history.length > 0;
  }
  async apply(model: Model, real: Real) {
    const earlier = pick(model.history, this.historyIndex)!;
    const [url, body] = changedRequest(earlier.url, earlier.body);
    const response = await real.api.request('POST', url, { body, idempotencyKey: earlier.key });
    assertOutcome(response, rejection(422, 'idempotency_key_reused'), `${this.toString()} of ${earlier.url} as ${url}`);
  }
  toString() {
    return `ReuseKey(${this.historyIndex})`;
  }
}

/** A different valid request: a capture becomes a void of the same hold and back, any other write gets new metadata. */
function changedRequest(url: string, body: Record<string, unknown> | undefined): [string, Record<string, unknown> | undefined] {
  if (url.endsWith('/capture')) return [url.replace(/\/capture$/, '/void'), undefined];
  if (url.endsWith('/void')) return [url.replace(/\/void$/, '/capture'), undefined];
  // An expires_at passed since would be refused as invalid before the key is looked at.
  const { expires_at: _passed, ...rest } = body ?? {};
  return [url, { ...rest, metadata: { reused: true } }];
}
