import assert from 'node:assert/strict';
import type { Clock } from '../../src/clock.js';
import { settlementAccountId } from '../../src/ids.js';
import type { ApiResponse, TestService } from '../support/service.js';

// The in-memory model that modelBasedHolds.test.ts holds the API to: accounts with balances,
// versions and pending sums, holds, and the ledger transactions a reversal may name. Money moves
// in the model only when the API acknowledged it; a rejection leaves the model as it was.

export type HoldStatus = 'pending' | 'captured' | 'voided' | 'expired';

export interface ModelAccount {
  id: string;
  kind: 'user' | 'settlement';
  currency: string;
  balance: bigint;
  version: bigint;
  pendingDebits: bigint;
  pendingCredits: bigint;
}

export interface ModelHold {
  id: string;
  source: ModelAccount;
  destination: ModelAccount;
  amount: bigint;
  status: HoldStatus;
  captured: bigint;
  expiresAtMs: number;
  captureTransactionId: string | null;
}

export interface ModelTransaction {
  id: string;
  type: 'deposit' | 'withdrawal' | 'transfer' | 'reversal';
  source: ModelAccount;
  destination: ModelAccount;
  amount: bigint;
  reversed: bigint;
}

/** A request that carried an Idempotency-Key and whose answer the ledger stored, with that answer. */
export interface Keyed {
  url: string;
  body: Record<string, unknown> | undefined;
  key: string;
  status: number;
  raw: string;
}

export interface Model {
  /** Each sequence has currencies of its own, so it starts from an empty ledger. */
  currencies: [string, string];
  wallets: ModelAccount[];
  settlements: Map<string, ModelAccount>;
  holds: ModelHold[];
  transactions: ModelTransaction[];
  history: Keyed[];
  keyPrefix: string;
  keysUsed: number;
  clock: ManualClock;
}

export interface Real {
  api: TestService;
}

/** What the API must answer; `codes` lists every acceptable problem code when two rules apply at once. */
export type Expected = { status: 200 | 201 } | { status: 404 | 409 | 422; codes: string[] };

/** A clock that only moves when a test moves it (forward), shared by the service and the model. */
export class ManualClock implements Clock {
  private current = Date.now();
  now(): Date {
    return new Date(this.current);
  }
  nowMs(): number {
    return this.current;
  }
  advanceTo(ms: number): void {
    this.current = Math.max(this.current, ms);
  }
}

export function nextKey(model: Model): string {
  model.keysUsed += 1;
  return `${model.keyPrefix}-${model.keysUsed}`;
}

/** `items[index]` taken modulo their number; undefined for a negative index (naming nothing) or no items. */
export function pick<T>(items: T[], index: number): T | undefined {
  return index < 0 || items.length === 0 ? undefined : items[index % items.length];
}

export function settlement(model: Model, currency: string): ModelAccount {
  let found = model.settlements.get(currency);
  if (!found) {
    found = { id: settlementAccountId(currency), kind: 'settlement', currency, balance: 0n, version: 0n, pendingDebits: 0n, pendingCredits: 0n };
    model.settlements.set(currency, found);
  }
  return found;
}

export function available(account: ModelAccount): bigint {
  return account.balance - account.pendingDebits;
}

/**
 * Sends a write. Its answer joins the history for replays unless it was refused before the ledger
 * decided it (400, or an unknown hold or transaction, which is looked up before the write is queued).
 */
export async function post(real: Real, model: Model, url: string, body: Record<string, unknown> | undefined, key: string): Promise<ApiResponse> {
  const response = await real.api.request('POST', url, { body, idempotencyKey: key });
  const refusedEarly = response.status === 400 || ['hold_not_found', 'transaction_not_found'].includes(response.body?.code);
  if (!refusedEarly) model.history.push({ url, body, key, status: response.status, raw: response.raw });
  return response;
}

/** The answer is the expected one, or one of them when two rules apply at once and the contract orders neither first. */
export function assertOutcome(response: ApiResponse, expected: Expected | Expected[], what: string): void {
  const options = Array.isArray(expected) ? expected : [expected];
  const matches = options.some((option) => response.status === option.status && (!('codes' in option) || option.codes.includes(response.body?.code)));
  assert.ok(matches, `${what}: expected ${JSON.stringify(options)}, got ${response.raw}`);
}

export function rejection(status: 404 | 409 | 422, ...codes: string[]): Expected {
  return { status, codes };
}

/** Moves `amount` from `source` to `destination`, each gaining one entry. */
export function move(source: ModelAccount, destination: ModelAccount, amount: bigint): void {
  source.balance -= amount;
  source.version += 1n;
  destination.balance += amount;
  destination.version += 1n;
}

/** Reserves (or, negative, releases) `amount` on a hold's two accounts. */
export function reserve(hold: Pick<ModelHold, 'source' | 'destination'>, amount: bigint): void {
  hold.source.pendingDebits += amount;
  hold.destination.pendingCredits += amount;
}

/** A debit of `amount` from `source`: a wallet may spend only its available balance, a settlement account anything. */
export function expectDebit(source: ModelAccount, amount: bigint): Expected {
  if (source.kind === 'user' && available(source) < amount) return rejection(422, 'insufficient_funds');
  return { status: 201 };
}

/** A hold's status as the ledger decides it now: pending past its expiry counts as expired. */
export function statusNow(model: Model, hold: ModelHold): HoldStatus {
  return hold.status === 'pending' && hold.expiresAtMs <= model.clock.nowMs() ? 'expired' : hold.status;
}

export function accountFields(account: ModelAccount) {
  return {
    balance: account.balance.toString(),
    available_balance: available(account).toString(),
    pending_debits: account.pendingDebits.toString(),
    pending_credits: account.pendingCredits.toString(),
    version: Number(account.version),
    currency: account.currency,
  };
}

/** Every wallet and settlement account of the sequence, read through the API, equals the model. */
export async function assertAccountsMatch(model: Model, real: Real): Promise<void> {
  const accounts = [...model.wallets, ...model.currencies.map((currency) => settlement(model, currency))];
  for (const account of accounts) {
    const response = await real.api.request('GET', `/v1/accounts/${account.id}`);
    // A settlement account exists once something posted against it (or tried to).
    if (response.status === 404 && account.kind === 'settlement' && account.version === 0n && account.pendingCredits === 0n) continue;
    assert.equal(response.status, 200, response.raw);
    const { balance, available_balance, pending_debits, pending_credits, version, currency } = response.body;
    assert.deepEqual(
      { balance, available_balance, pending_debits, pending_credits, version, currency },
      accountFields(account),
      `${account.kind} account ${account.id}`,
    );
  }
}

/** Every hold of the sequence, read through the API, has the model's status and capture. */
export async function assertHoldsMatch(model: Model, real: Real): Promise<void> {
  for (const hold of model.holds) await assertHoldMatches(hold, real);
}

/** Each wallet's list of holds (as source or destination), whole and by status, names the model's holds. */
export async function assertHoldListsMatch(model: Model, real: Real): Promise<void> {
  for (const wallet of model.wallets) {
    const mine = model.holds.filter((hold) => hold.source === wallet || hold.destination === wallet);
    for (const status of [undefined, 'pending', 'captured'] as const) {
      const response = await real.api.request('GET', `/v1/accounts/${wallet.id}/holds?limit=500${status ? `&status=${status}` : ''}`);
      assert.equal(response.status, 200, response.raw);
      const listed = (response.body.data as Array<{ id: string; status: string }>).map(({ id, status: listedStatus }) => `${id} ${listedStatus}`);
      const expected = mine.filter((hold) => status === undefined || hold.status === status).map((hold) => `${hold.id} ${hold.status}`);
      assert.deepEqual(listed.sort(), expected.sort(), `holds of ${wallet.id}${status ? ` with status ${status}` : ''}`);
      assert.equal(response.body.next_cursor, null);
    }
  }
}

export async function assertHoldMatches(hold: ModelHold, real: Real): Promise<void> {
  const response = await real.api.request('GET', `/v1/holds/${hold.id}`);
  assert.equal(response.status, 200, response.raw);
  const { status, amount, captured_amount, source_account_id, destination_account_id, capture_transaction_id } = response.body;
  assert.deepEqual(
    { status, amount, captured_amount, source_account_id, destination_account_id, capture_transaction_id },
    {
      status: hold.status,
      amount: hold.amount.toString(),
      captured_amount: hold.captured.toString(),
      source_account_id: hold.source.id,
      destination_account_id: hold.destination.id,
      capture_transaction_id: hold.captureTransactionId,
    },
    `hold ${hold.id}`,
  );
}
