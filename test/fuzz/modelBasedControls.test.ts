// Proves that over random sequences of freezes, unfreezes, closes, overdraft limits (fresh or with a
// stale If-Match), deposits, withdrawals, transfers and holds (created, captured, voided), every
// answer's status and problem code and every wallet's balance, available balance, pending sums,
// status, overdraft limit and version always equal an in-memory model's, and verify holds at the end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { newKey, startTestService, type ApiResponse, type TestService } from '../support/service.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEQUENCES = Math.max(1, Math.ceil(RUNS / 6));
const COMMANDS_MAX = 30;
const WALLETS = 3;
const OPENING_FUNDS = 500n;

type Status = 'active' | 'frozen' | 'closed';
interface Wallet { id: string; balance: bigint; pendingDebits: bigint; pendingCredits: bigint; status: Status; overdraft: bigint; version: number }
interface Hold { id: string; source: number; destination: number; amount: bigint; pending: boolean }
interface Model { wallets: Wallet[]; holds: Hold[] }
interface Real { api: TestService }
/** What the model expects: a success status, or a problem code. */
type Expected = number | string;

const available = (wallet: Wallet) => wallet.balance + wallet.overdraft - wallet.pendingDebits;

function debitRefusal(wallet: Wallet): string | undefined {
  return wallet.status === 'closed' ? 'account_closed' : wallet.status === 'frozen' ? 'account_frozen' : undefined;
}

function assertAnswer(response: ApiResponse, expected: Expected, what: string): void {
  if (typeof expected === 'number') assert.equal(response.status, expected, `${what}: ${response.raw}`);
  else assert.equal(response.body?.code, expected, `${what}: ${response.status} ${response.raw}`);
}

async function assertWalletsMatch(model: Model, real: Real): Promise<void> {
  for (const wallet of model.wallets) {
    const read = (await real.api.request('GET', `/v1/accounts/${wallet.id}`)).body;
    assert.deepEqual(
      [read.balance, read.available_balance, read.pending_debits, read.pending_credits, read.status, read.overdraft_limit, read.version],
      [`${wallet.balance}`, `${available(wallet)}`, `${wallet.pendingDebits}`, `${wallet.pendingCredits}`, wallet.status, `${wallet.overdraft}`, wallet.version],
      `wallet ${model.wallets.indexOf(wallet)}`,
    );
  }
}

async function patch(real: Real, wallet: Wallet, body: unknown, ifMatch?: string): Promise<ApiResponse> {
  const etag = ifMatch ?? String((await real.api.request('GET', `/v1/accounts/${wallet.id}`)).headers.etag);
  return real.api.request('PATCH', `/v1/accounts/${wallet.id}`, { body, headers: { 'if-match': etag } });
}

// ---- Commands ----------------------------------------------------------------------------------

class SetStatus implements fc.AsyncCommand<Model, Real> {
  constructor(readonly wallet: number, readonly status: Status) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const wallet = model.wallets[this.wallet]!;
    let expected: Expected = 200;
    if (wallet.status === 'closed') expected = 'account_closed';
    else if (this.status === 'closed' && (wallet.balance !== 0n || wallet.pendingDebits !== 0n || wallet.pendingCredits !== 0n)) expected = 'account_not_empty';
    assertAnswer(await patch(real, wallet, { status: this.status }), expected, this.toString());
    if (expected === 200 && this.status !== wallet.status) {
      wallet.status = this.status;
      wallet.version += 1;
    }
    await assertWalletsMatch(model, real);
  }
  toString = () => `status(${this.wallet}, ${this.status})`;
}

class SetOverdraft implements fc.AsyncCommand<Model, Real> {
  constructor(readonly wallet: number, readonly limit: bigint) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const wallet = model.wallets[this.wallet]!;
    const changes = this.limit !== wallet.overdraft;
    let expected: Expected = 200;
    if (wallet.status === 'closed' && changes) expected = 'account_closed';
    else if (changes && (wallet.balance + this.limit < wallet.pendingDebits || wallet.balance + this.limit < 0n)) expected = 'overdraft_limit_too_low';
    assertAnswer(await patch(real, wallet, { overdraft_limit: `${this.limit}` }), expected, this.toString());
    if (expected === 200 && changes) {
      wallet.overdraft = this.limit;
      wallet.version += 1;
    }
    await assertWalletsMatch(model, real);
  }
  toString = () => `overdraft(${this.wallet}, ${this.limit})`;
}

/** A PATCH naming the ETag read before a deposit changed the wallet: 412, and nothing changes. */
class StalePatch implements fc.AsyncCommand<Model, Real> {
  constructor(readonly wallet: number) {}
  check = (model: Readonly<Model>) => model.wallets[this.wallet]!.status !== 'closed';
  async run(model: Model, real: Real): Promise<void> {
    const wallet = model.wallets[this.wallet]!;
    const stale = String((await real.api.request('GET', `/v1/accounts/${wallet.id}`)).headers.etag);
    await new Deposit(this.wallet, 1n).run(model, real);
    assertAnswer(await patch(real, wallet, { status: 'closed' }, stale), 'precondition_failed', this.toString());
    await assertWalletsMatch(model, real);
  }
  toString = () => `stale(${this.wallet})`;
}

class Deposit implements fc.AsyncCommand<Model, Real> {
  constructor(readonly wallet: number, readonly amount: bigint) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const wallet = model.wallets[this.wallet]!;
    const expected: Expected = wallet.status === 'closed' ? 'account_closed' : 201;
    const response = await real.api.request('POST', '/v1/transactions/deposit', { body: { account_id: wallet.id, amount: `${this.amount}` }, idempotencyKey: newKey() });
    assertAnswer(response, expected, this.toString());
    if (expected === 201) {
      wallet.balance += this.amount;
      wallet.version += 1;
    }
  }
  toString = () => `deposit(${this.wallet}, ${this.amount})`;
}

class Withdraw implements fc.AsyncCommand<Model, Real> {
  constructor(readonly wallet: number, readonly amount: bigint) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const wallet = model.wallets[this.wallet]!;
    const expected: Expected = debitRefusal(wallet) ?? (available(wallet) < this.amount ? 'insufficient_funds' : 201);
    const response = await real.api.request('POST', '/v1/transactions/withdraw', { body: { account_id: wallet.id, amount: `${this.amount}` }, idempotencyKey: newKey() });
    assertAnswer(response, expected, this.toString());
    if (expected === 201) {
      wallet.balance -= this.amount;
      wallet.version += 1;
    }
    await assertWalletsMatch(model, real);
  }
  toString = () => `withdraw(${this.wallet}, ${this.amount})`;
}

/** A transfer, or a hold when `hold` (reserved, not moved). */
class Transfer implements fc.AsyncCommand<Model, Real> {
  constructor(readonly source: number, readonly destination: number, readonly amount: bigint, readonly hold: boolean) {}
  check = () => this.source !== this.destination;
  async run(model: Model, real: Real): Promise<void> {
    const source = model.wallets[this.source]!;
    const destination = model.wallets[this.destination]!;
    const refusal = debitRefusal(source) ?? (destination.status === 'closed' ? 'account_closed' : undefined);
    const expected: Expected = refusal ?? (available(source) < this.amount ? 'insufficient_funds' : 201);
    const body = { source_account_id: source.id, destination_account_id: destination.id, amount: `${this.amount}` };
    const response = await real.api.request('POST', this.hold ? '/v1/holds' : '/v1/transactions/transfer', { body, idempotencyKey: newKey() });
    assertAnswer(response, expected, this.toString());
    if (expected === 201 && this.hold) {
      source.pendingDebits += this.amount;
      destination.pendingCredits += this.amount;
      model.holds.push({ id: response.body.id, source: this.source, destination: this.destination, amount: this.amount, pending: true });
    } else if (expected === 201) {
      source.balance -= this.amount;
      destination.balance += this.amount;
      source.version += 1;
      destination.version += 1;
    }
    await assertWalletsMatch(model, real);
  }
  toString = () => `${this.hold ? 'hold' : 'transfer'}(${this.source}, ${this.destination}, ${this.amount})`;
}

/** Captures (whatever the accounts' statuses now: the money was reserved) or voids a hold. */
class SettleHold implements fc.AsyncCommand<Model, Real> {
  constructor(readonly hold: number, readonly capture: boolean) {}
  check = (model: Readonly<Model>) => model.holds.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const hold = model.holds[this.hold % model.holds.length]!;
    const expected: Expected = hold.pending ? (this.capture ? 201 : 200) : 'hold_not_pending';
    const response = await real.api.request('POST', `/v1/holds/${hold.id}/${this.capture ? 'capture' : 'void'}`, { body: {}, idempotencyKey: newKey() });
    assertAnswer(response, expected, this.toString());
    if (hold.pending) {
      const source = model.wallets[hold.source]!;
      const destination = model.wallets[hold.destination]!;
      source.pendingDebits -= hold.amount;
      destination.pendingCredits -= hold.amount;
      hold.pending = false;
      if (this.capture) {
        source.balance -= hold.amount;
        destination.balance += hold.amount;
        source.version += 1;
        destination.version += 1;
      }
    }
    await assertWalletsMatch(model, real);
  }
  toString = () => `${this.capture ? 'capture' : 'void'}(${this.hold})`;
}

const wallet = fc.nat(WALLETS - 1);
const amount = fc.bigInt({ min: 1n, max: 400n });
const commands = fc.commands(
  [
    fc.tuple(wallet, fc.constantFrom<Status>('active', 'frozen', 'frozen', 'active', 'closed')).map(([index, status]) => new SetStatus(index, status)),
    fc.tuple(wallet, fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 300n }))).map(([index, limit]) => new SetOverdraft(index, limit)),
    wallet.map((index) => new StalePatch(index)),
    fc.tuple(wallet, amount).map(([index, value]) => new Deposit(index, value)),
    fc.tuple(wallet, amount).map(([index, value]) => new Withdraw(index, value)),
    fc.tuple(wallet, wallet, amount, fc.boolean()).map(([source, destination, value, hold]) => new Transfer(source, destination, value, hold)),
    fc.tuple(fc.nat(30), fc.boolean()).map(([hold, capture]) => new SettleHold(hold, capture)),
  ],
  { maxCommands: COMMANDS_MAX, size: 'max' },
);

describe('account controls against an in-memory model', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  test('random command sequences keep the API equal to the model', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (steps) => {
        const real = { api };
        const model: Model = { wallets: [], holds: [] };
        for (let index = 0; index < WALLETS; index++) {
          const opened = await api.request('POST', '/v1/accounts', { body: { currency: 'CTL' } });
          model.wallets.push({ id: opened.body.id, balance: 0n, pendingDebits: 0n, pendingCredits: 0n, status: 'active', overdraft: 0n, version: 0 });
          await new Deposit(index, OPENING_FUNDS).run(model, real);
        }
        await fc.asyncModelRun(() => ({ model, real }), steps);
      }),
      { numRuns: SEQUENCES, includeErrorInReport: true, endOnFailure: true },
    );
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
  });
});
