// Proves that over random sequences of account openings, deposits, withdrawals, transfers (valid
// and not), replays and key reuses, the API's balances and versions always equal a tiny in-memory
// model's, a rejected command changes nothing, and a replay returns the stored response unchanged.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { settlementAccountId } from '../../src/ids.js';
import { AMOUNT_MAX } from '../../src/money.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { startTestService, type ApiResponse, type TestService } from '../support/service.js';
import { UNKNOWN_ID } from '../http/helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEQUENCES = Math.max(1, Math.ceil(RUNS / 3));
const COMMANDS_MAX = 25;

interface Balance {
  balance: bigint;
  version: bigint;
}
interface Wallet extends Balance {
  id: string;
  currency: string;
}
/** A request that carried an Idempotency-Key, and the answer it got. */
interface Keyed {
  url: string;
  body: Record<string, unknown>;
  key: string;
  status: number;
  raw: string;
}
interface Model {
  /** Each sequence has currencies of its own, so it starts from an empty ledger. */
  currencies: [string, string];
  wallets: Wallet[];
  settlements: Map<string, Balance>;
  history: Keyed[];
  keyPrefix: string;
  keysUsed: number;
}
interface Real {
  api: TestService;
}
type Expected = { status: 201 } | { status: 404 | 422; code: string };

// ---- Shared steps ------------------------------------------------------------------------------

function nextKey(model: Model): string {
  model.keysUsed += 1;
  return `${model.keyPrefix}-${model.keysUsed}`;
}

function pick<T>(items: T[], index: number): T | undefined {
  return index < 0 || items.length === 0 ? undefined : items[index % items.length];
}

function settlement(model: Model, currency: string): Balance {
  let found = model.settlements.get(currency);
  if (!found) {
    found = { balance: 0n, version: 0n };
    model.settlements.set(currency, found);
  }
  return found;
}

/** The amount as the wire takes it: a string, or a JSON number when it is a safe integer. */
function wireAmount(amount: bigint, asNumber: boolean): string | number {
  return asNumber && amount <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(amount) : amount.toString();
}

async function post(real: Real, model: Model, url: string, body: Record<string, unknown>, key: string | undefined): Promise<ApiResponse> {
  const response = await real.api.request('POST', url, { body, idempotencyKey: key });
  if (key !== undefined && response.status !== 400) model.history.push({ url, body, key, status: response.status, raw: response.raw });
  return response;
}

function assertOutcome(response: ApiResponse, expected: Expected, what: string): void {
  assert.equal(response.status, expected.status, `${what}: ${response.raw}`);
  if ('code' in expected) assert.equal(response.body.code, expected.code, `${what}: ${response.raw}`);
}

/** Moves `amount` in the model from `source` to `destination`, each gaining one entry. */
function move(source: Balance, destination: Balance, amount: bigint): void {
  source.balance -= amount;
  source.version += 1n;
  destination.balance += amount;
  destination.version += 1n;
}

/** What the ledger must answer a posting, with the checks in the service's order. */
function expectPosting(source: Balance & { kind: 'user' | 'settlement' }, destination: Balance, amount: bigint): Expected {
  if (source.kind === 'user' && source.balance < amount) return { status: 422, code: 'insufficient_funds' };
  if (source.balance - amount < -AMOUNT_MAX || destination.balance + amount > AMOUNT_MAX) return { status: 422, code: 'balance_overflow' };
  return { status: 201 };
}

/** Every wallet and settlement account of the sequence, read through the API, equals the model. */
async function assertModelMatches(model: Model, real: Real): Promise<void> {
  for (const wallet of model.wallets) {
    const response = await real.api.request('GET', `/v1/accounts/${wallet.id}`);
    assert.equal(response.status, 200, response.raw);
    assert.deepEqual(
      { balance: response.body.balance, version: response.body.version, currency: response.body.currency },
      { balance: wallet.balance.toString(), version: Number(wallet.version), currency: wallet.currency },
      `wallet ${wallet.id}`,
    );
  }
  for (const currency of model.currencies) {
    const expected = settlement(model, currency);
    const response = await real.api.request('GET', `/v1/accounts/${settlementAccountId(currency)}`);
    // A settlement account exists once something posted against it (or tried to).
    if (response.status === 404 && expected.version === 0n) continue;
    assert.equal(response.status, 200, response.raw);
    assert.deepEqual(
      { balance: response.body.balance, version: response.body.version },
      { balance: expected.balance.toString(), version: Number(expected.version) },
      `settlement account of ${currency}`,
    );
  }
}

// ---- Commands ----------------------------------------------------------------------------------

abstract class LedgerCommand implements fc.AsyncCommand<Model, Real> {
  check(_model: Readonly<Model>): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    await this.apply(model, real);
    await assertModelMatches(model, real);
  }
  abstract apply(model: Model, real: Real): Promise<void>;
  abstract toString(): string;
}

class OpenAccount extends LedgerCommand {
  constructor(readonly currencyIndex: number, readonly keyed: boolean) {
    super();
  }
  async apply(model: Model, real: Real) {
    const currency = model.currencies[this.currencyIndex]!;
    const response = await post(real, model, '/v1/accounts', { currency, metadata: { n: model.wallets.length } }, this.keyed ? nextKey(model) : undefined);
    assertOutcome(response, { status: 201 }, this.toString());
    model.wallets.push({ id: response.body.id, currency, balance: 0n, version: 0n });
  }
  toString() {
    return `OpenAccount(currency ${this.currencyIndex}${this.keyed ? ', keyed' : ''})`;
  }
}

class DepositOrWithdraw extends LedgerCommand {
  constructor(readonly kind: 'deposit' | 'withdraw', readonly walletIndex: number, readonly amount: bigint, readonly asNumber: boolean) {
    super();
  }
  async apply(model: Model, real: Real) {
    const wallet = pick(model.wallets, this.walletIndex);
    const body = { account_id: wallet?.id ?? UNKNOWN_ID, amount: wireAmount(this.amount, this.asNumber) };
    const response = await post(real, model, `/v1/transactions/${this.kind}`, body, nextKey(model));
    if (!wallet) return assertOutcome(response, { status: 404, code: 'account_not_found' }, this.toString());
    const house = settlement(model, wallet.currency);
    const [source, destination] = this.kind === 'deposit' ? [{ ...house, kind: 'settlement' as const }, wallet] : [{ ...wallet, kind: 'user' as const }, house];
    const expected = expectPosting(source, destination, this.amount);
    assertOutcome(response, expected, this.toString());
    if (expected.status !== 201) return;
    if (this.kind === 'deposit') move(house, wallet, this.amount);
    else move(wallet, house, this.amount);
  }
  toString() {
    return `${this.kind}(wallet ${this.walletIndex}, ${this.amount}${this.asNumber ? ' as number' : ''})`;
  }
}

class Transfer extends LedgerCommand {
  constructor(
    readonly sourceIndex: number,
    readonly destinationIndex: number,
    readonly amount: bigint,
    readonly currencyIndex: number | null,
  ) {
    super();
  }
  async apply(model: Model, real: Real) {
    const source = pick(model.wallets, this.sourceIndex);
    const destination = pick(model.wallets, this.destinationIndex);
    const body: Record<string, unknown> = {
      source_account_id: source?.id ?? UNKNOWN_ID,
      destination_account_id: destination?.id ?? UNKNOWN_ID,
      amount: this.amount.toString(),
    };
    if (this.currencyIndex !== null) body.currency = model.currencies[this.currencyIndex];
    const response = await post(real, model, '/v1/transactions/transfer', body, nextKey(model));
    const expected = this.expect(body, source, destination);
    assertOutcome(response, expected, this.toString());
    if (expected.status === 201) move(source!, destination!, this.amount);
  }
  private expect(body: Record<string, unknown>, source: Wallet | undefined, destination: Wallet | undefined): Expected {
    if (body.source_account_id === body.destination_account_id) return { status: 422, code: 'same_account' };
    if (!source || !destination) return { status: 404, code: 'account_not_found' };
    if (source.currency !== destination.currency) return { status: 422, code: 'currency_mismatch' };
    if (body.currency !== undefined && body.currency !== source.currency) return { status: 422, code: 'currency_mismatch' };
    return expectPosting({ ...source, kind: 'user' }, destination, this.amount);
  }
  toString() {
    return `Transfer(${this.sourceIndex} → ${this.destinationIndex}, ${this.amount}, currency ${this.currencyIndex})`;
  }
}

class Replay extends LedgerCommand {
  constructor(readonly historyIndex: number) {
    super();
  }
  override check(model: Readonly<Model>) {
    return model.history.length > 0;
  }
  async apply(model: Model, real: Real) {
    const earlier = pick(model.history, this.historyIndex)!;
    const response = await real.api.request('POST', earlier.url, { body: earlier.body, idempotencyKey: earlier.key });
    assert.equal(response.status, earlier.status, `${this.toString()} of ${earlier.url}`);
    assert.equal(response.raw, earlier.raw, `${this.toString()}: the stored body, byte for byte`);
    assert.equal(response.headers['idempotent-replayed'], 'true');
  }
  toString() {
    return `Replay(${this.historyIndex})`;
  }
}

class ReuseKey extends LedgerCommand {
  constructor(readonly historyIndex: number) {
    super();
  }
  override check(model: Readonly<Model>) {
    return model.history.length > 0;
  }
  async apply(model: Model, real: Real) {
    const earlier = pick(model.history, this.historyIndex)!;
    const changed = { ...earlier.body, metadata: { reused: true } };
    const response = await real.api.request('POST', earlier.url, { body: changed, idempotencyKey: earlier.key });
    assertOutcome(response, { status: 422, code: 'idempotency_key_reused' }, `${this.toString()} of ${earlier.url}`);
  }
  toString() {
    return `ReuseKey(${this.historyIndex})`;
  }
}

class ReadAccount extends LedgerCommand {
  constructor(readonly walletIndex: number) {
    super();
  }
  async apply(model: Model, real: Real) {
    const wallet = pick(model.wallets, this.walletIndex);
    const response = await real.api.request('GET', `/v1/accounts/${wallet?.id ?? UNKNOWN_ID}`);
    if (!wallet) return assertOutcome(response, { status: 404, code: 'account_not_found' }, this.toString());
    assert.equal(response.status, 200);
    assert.equal(response.body.available_balance, wallet.balance.toString());
  }
  toString() {
    return `ReadAccount(${this.walletIndex})`;
  }
}

// ---- Generators --------------------------------------------------------------------------------

/** An index into the wallets (taken modulo their number), now and then one naming no wallet. */
const walletIndex = fc.oneof({ weight: 12, arbitrary: fc.nat(30) }, { weight: 1, arbitrary: fc.constant(-1) });
const amount = fc.oneof(
  { weight: 12, arbitrary: fc.bigInt({ min: 1n, max: 600n }) },
  { weight: 1, arbitrary: fc.constantFrom(AMOUNT_MAX, AMOUNT_MAX - 1n, 10n ** 37n, BigInt(Number.MAX_SAFE_INTEGER)) },
);
const commands = fc.commands(
  [
    fc.tuple(fc.nat(1), fc.boolean()).map(([currency, keyed]) => new OpenAccount(currency, keyed)),
    fc.tuple(fc.constantFrom('deposit' as const, 'withdraw' as const), walletIndex, amount, fc.boolean())
      .map(([kind, wallet, value, asNumber]) => new DepositOrWithdraw(kind, wallet, value, asNumber)),
    fc.tuple(walletIndex, walletIndex, amount, fc.option(fc.nat(1), { freq: 2 }))
      .map(([source, destination, value, currency]) => new Transfer(source, destination, value, currency)),
    fc.tuple(walletIndex, walletIndex, amount).map(([source, destination, value]) => new Transfer(source, destination, value, null)),
    fc.nat(100).map((index) => new Replay(index)),
    fc.nat(100).map((index) => new ReuseKey(index)),
    walletIndex.map((index) => new ReadAccount(index)),
  ],
  { maxCommands: COMMANDS_MAX, size: 'max' },
);

/** Each sequence starts with three funded wallets, two in the first currency, so that most commands can succeed. */
const OPENING: LedgerCommand[] = [
  new OpenAccount(0, false),
  new OpenAccount(0, true),
  new OpenAccount(1, false),
  new DepositOrWithdraw('deposit', 0, 1_000n, false),
  new DepositOrWithdraw('deposit', 1, 500n, true),
  new DepositOrWithdraw('deposit', 2, 700n, false),
];

describe('the API against an in-memory model', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  test('random command sequences keep the API equal to the model', async () => {
    let sequence = 0;
    await fc.assert(
      fc.asyncProperty(commands, async (steps) => {
        sequence += 1;
        const tag = sequence.toString(36).toUpperCase();
        const model: Model = {
          currencies: [`M${tag}A`, `M${tag}B`],
          wallets: [],
          settlements: new Map(),
          history: [],
          keyPrefix: `model-${process.pid}-${sequence}`,
          keysUsed: 0,
        };
        const real = { api };
        for (const step of OPENING) await step.run(model, real);
        await fc.asyncModelRun(() => ({ model, real }), steps);
      }),
      { numRuns: SEQUENCES },
    );
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
  });
});
