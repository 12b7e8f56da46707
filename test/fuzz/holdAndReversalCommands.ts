import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { UNKNOWN_ID } from '../http/helpers.js';
import { expectSides, LedgerCommand, remember } from './holdCommands.js';
import {
  assertHoldMatches, assertOutcome, expectDebit, move, nextKey, pick, post, rejection, reserve, settlement, statusNow,
  type Expected, type Model, type ModelHold, type Real,
} from './holdModel.js';

// The commands of modelBasedHolds.test.ts on holds (create, capture, void, expire through the
// test clock) and reversals, each with what the API must answer and how the model changes.

const HOUR_MS = 3_600_000;
/** A hold without expires_at lives this long (the documented default). */
const HOLD_TTL_DEFAULT_MS = 168 * HOUR_MS;
/** Holds that expire within this may be expired by moving the clock: far less than the idempotency TTL, so keys stay stored. */
export const SHORT_EXPIRY_MAX_MS = 10 * 60_000;
/** The service promises to expire a due hold within this. */
const EXPIRY_DELAY_MAX_MS = 5_000;
const POLL_INTERVAL_MS = 20;

export type Expiry = { kind: 'default' } | { kind: 'in'; ms: number } | { kind: 'past'; ms: number };

export class CreateHold extends LedgerCommand {
  constructor(
    readonly sourceIndex: number,
    /** null: a hold for a withdrawal, without destination_account_id. */
    readonly destinationIndex: number | null,
    readonly amount: bigint,
    readonly currencyIndex: number | null,
    readonly expiry: Expiry,
  ) {
    super();
  }
  async apply(model: Model, real: Real) {
    const source = pick(model.wallets, this.sourceIndex);
    const destination = this.destinationIndex === null ? undefined : pick(model.wallets, this.destinationIndex);
    const currency = this.currencyIndex === null ? undefined : model.currencies[this.currencyIndex];
    const body: Record<string, unknown> = { source_account_id: source?.id ?? UNKNOWN_ID, amount: this.amount.toString() };
    if (this.destinationIndex !== null) body.destination_account_id = destination?.id ?? UNKNOWN_ID;
    if (currency !== undefined) body.currency = currency;
    const now = model.clock.nowMs();
    if (this.expiry.kind !== 'default') body.expires_at = new Date(now + (this.expiry.kind === 'in' ? this.expiry.ms : -this.expiry.ms)).toISOString();
    const response = await post(real, model, '/v1/holds', body, nextKey(model));
    if (this.expiry.kind === 'past') {
      assert.equal(response.status, 400, response.raw);
      assert.deepEqual(response.body.errors.map((error: { field: string }) => error.field), ['expires_at'], response.raw);
      return;
    }
    const withdrawal = this.destinationIndex === null;
    const expected =
      (withdrawal ? (source ? expectSides(false, source, source, currency) : rejection(404, 'account_not_found')) : expectSides(body.source_account_id === body.destination_account_id, source, destination, currency)) ??
      expectDebit(source!, this.amount);
    assertOutcome(response, expected, this.toString());
    if (expected.status !== 201) return;
    const expiresAtMs = this.expiry.kind === 'in' ? now + this.expiry.ms : now + HOLD_TTL_DEFAULT_MS;
    const hold: ModelHold = {
      id: response.body.id,
      source: source!,
      destination: destination ?? settlement(model, source!.currency),
      amount: this.amount,
      status: 'pending',
      captured: 0n,
      expiresAtMs,
      captureTransactionId: null,
    };
    assert.deepEqual(
      [response.body.status, response.body.currency, response.body.expires_at, response.body.destination_account_id],
      ['pending', source!.currency, new Date(expiresAtMs).toISOString(), hold.destination.id],
      response.raw,
    );
    model.holds.push(hold);
    reserve(hold, this.amount);
  }
  toString() {
    return `CreateHold(${this.sourceIndex} → ${this.destinationIndex ?? 'settlement'}, ${this.amount}, currency ${this.currencyIndex}, ${JSON.stringify(this.expiry)})`;
  }
}

/** How much a capture or reversal asks: nothing (the default), all, some (1 + n modulo the whole), or more than is left. */
export type AmountChoice = { kind: 'default' } | { kind: 'all' } | { kind: 'some'; n: number } | { kind: 'over'; n: number };

function chosenAmount(choice: AmountChoice, whole: bigint, left: bigint): bigint {
  if (choice.kind === 'some') return 1n + (BigInt(choice.n) % whole);
  if (choice.kind === 'over') return left + 1n + BigInt(choice.n % 10);
  return left;
}

export class CaptureHold extends LedgerCommand {
  constructor(readonly holdIndex: number, readonly choice: AmountChoice) {
    super();
  }
  async apply(model: Model, real: Real) {
    const hold = pick(model.holds, this.holdIndex);
    const amount = hold ? chosenAmount(this.choice, hold.amount, hold.amount) : 1n;
    const body = this.choice.kind === 'default' ? undefined : { amount: amount.toString() };
    const response = await post(real, model, `/v1/holds/${hold?.id ?? UNKNOWN_ID}/capture`, body, nextKey(model));
    if (!hold) return assertOutcome(response, rejection(404, 'hold_not_found'), this.toString());
    const status = statusNow(model, hold);
    const refusals = [...(status !== 'pending' ? [rejection(409, 'hold_not_pending')] : []), ...(amount > hold.amount ? [rejection(422, 'capture_exceeds_hold')] : [])];
    assertOutcome(response, refusals.length > 0 ? refusals : { status: 201 }, this.toString());
    if (response.status === 409) assert.equal(response.body.hold_status, status, response.raw);
    if (refusals.length === 0) {
      const type = hold.destination.kind === 'settlement' ? 'withdrawal' : 'transfer';
      const { source_account_id, destination_account_id, hold_id, reverses_transaction_id, reversed_amount } = response.body;
      assert.deepEqual(
        { type: response.body.type, amount: response.body.amount, source_account_id, destination_account_id, hold_id, reverses_transaction_id, reversed_amount },
        { type, amount: amount.toString(), source_account_id: hold.source.id, destination_account_id: hold.destination.id, hold_id: hold.id, reverses_transaction_id: null, reversed_amount: '0' },
      );
      // One capture per hold: the part it does not take is released with the rest.
      reserve(hold, -hold.amount);
      move(hold.source, hold.destination, amount);
      Object.assign(hold, { status: 'captured', captured: amount, captureTransactionId: response.body.id });
      remember(model, response.body.id, type, hold.source, hold.destination, amount);
    }
    await assertHoldMatches(hold, real);
  }
  toString() {
    return `CaptureHold(${this.holdIndex}, ${JSON.stringify(this.choice)})`;
  }
}

export class VoidHold extends LedgerCommand {
  constructor(readonly holdIndex: number, readonly withBody: boolean) {
    super();
  }
  async apply(model: Model, real: Real) {
    const hold = pick(model.holds, this.holdIndex);
    const response = await post(real, model, `/v1/holds/${hold?.id ?? UNKNOWN_ID}/void`, this.withBody ? {} : undefined, nextKey(model));
    if (!hold) return assertOutcome(response, rejection(404, 'hold_not_found'), this.toString());
    const status = statusNow(model, hold);
    assertOutcome(response, status === 'pending' ? { status: 200 } : rejection(409, 'hold_not_pending'), this.toString());
    if (status !== 'pending') {
      assert.equal(response.body.hold_status, status, response.raw);
    } else {
      assert.equal(response.body.status, 'voided', response.raw);
      reserve(hold, -hold.amount);
      hold.status = 'voided';
    }
    await assertHoldMatches(hold, real);
  }
  toString() {
    return `VoidHold(${this.holdIndex}${this.withBody ? ', {}' : ''})`;
  }
}

/**
 * Moves the clock just past a soon-expiring pending hold's expires_at; optionally tries to capture
 * or void it before the sweep (409, expired); then waits for the sweep to expire every due hold.
 */
export class ExpireHolds extends LedgerCommand {
  constructor(readonly holdIndex: number, readonly probe: 'none' | 'capture' | 'void') {
    super();
  }
  override check(model: Readonly<Model>) {
    return soonExpiring(model).length > 0;
  }
  async apply(model: Model, real: Real) {
    const chosen = pick(soonExpiring(model), this.holdIndex)!;
    model.clock.advanceTo(chosen.expiresAtMs + 1);
    if (this.probe !== 'none') {
      const response = await post(real, model, `/v1/holds/${chosen.id}/${this.probe}`, undefined, nextKey(model));
      assertOutcome(response, rejection(409, 'hold_not_pending'), `${this.toString()}: ${this.probe} past expires_at`);
      assert.equal(response.body.hold_status, 'expired', response.raw);
    }
    const due = model.holds.filter((hold) => hold.status === 'pending' && hold.expiresAtMs <= model.clock.nowMs());
    for (const hold of due) {
      const deadline = Date.now() + EXPIRY_DELAY_MAX_MS;
      let status = '';
      while (status !== 'expired' && Date.now() < deadline) {
        status = (await real.api.request('GET', `/v1/holds/${hold.id}`)).body.status;
        if (status !== 'expired') await sleep(POLL_INTERVAL_MS);
      }
      assert.equal(status, 'expired', `hold ${hold.id} expired by the sweep within ${EXPIRY_DELAY_MAX_MS} ms`);
      reserve(hold, -hold.amount);
      hold.status = 'expired';
    }
    for (const hold of due) await assertHoldMatches(hold, real);
  }
  toString() {
    return `ExpireHolds(${this.holdIndex}, ${this.probe})`;
  }
}

function soonExpiring(model: Readonly<Model>): ModelHold[] {
  return model.holds.filter((hold) => hold.status === 'pending' && hold.expiresAtMs - model.clock.nowMs() <= SHORT_EXPIRY_MAX_MS);
}

export class Reverse extends LedgerCommand {
  constructor(readonly transactionIndex: number, readonly choice: AmountChoice, readonly description: boolean) {
    super();
  }
  async apply(model: Model, real: Real) {
    const original = pick(model.transactions, this.transactionIndex);
    const left = original ? original.amount - original.reversed : 0n;
    const amount = original ? chosenAmount(this.choice, original.amount, left) : 1n;
    // Amounts are at least 1: asking for "all" of a fully reversed transaction is asking with no amount.
    const body: Record<string, unknown> = this.choice.kind === 'default' || amount === 0n ? {} : { amount: amount.toString() };
    if (this.description) body.description = 'model reversal';
    const sent = Object.keys(body).length === 0 && this.transactionIndex % 2 === 0 ? undefined : body;
    const response = await post(real, model, `/v1/transactions/${original?.id ?? UNKNOWN_ID}/reverse`, sent, nextKey(model));
    if (!original) return assertOutcome(response, rejection(404, 'transaction_not_found'), this.toString());
    const short = expectDebit(original.destination, amount);
    const expected: Expected =
      original.type === 'reversal' ? rejection(422, 'not_reversible')
        : amount > left || amount === 0n ? rejection(422, 'reversal_exceeds_original', ...('codes' in short ? short.codes : []))
          : short;
    assertOutcome(response, expected, this.toString());
    if (expected.status === 201) {
      const { type, reverses_transaction_id, source_account_id, destination_account_id } = response.body;
      assert.deepEqual(
        { type, amount: response.body.amount, reverses_transaction_id, source_account_id, destination_account_id },
        { type: 'reversal', amount: amount.toString(), reverses_transaction_id: original.id, source_account_id: original.destination.id, destination_account_id: original.source.id },
      );
      move(original.destination, original.source, amount);
      original.reversed += amount;
      remember(model, response.body.id, 'reversal', original.destination, original.source, amount);
    }
    const read = await real.api.request('GET', `/v1/transactions/${original.id}`);
    assert.equal(read.body.reversed_amount, original.reversed.toString(), `reversed_amount of ${original.id}: ${read.raw}`);
  }
  toString() {
    return `Reverse(${this.transactionIndex}, ${JSON.stringify(this.choice)}${this.description ? ', described' : ''})`;
  }
}
