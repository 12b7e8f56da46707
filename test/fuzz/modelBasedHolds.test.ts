// Proves that over random sequences of holds (to a wallet and for a withdrawal), full and partial
// captures, voids, expiries through a moved clock, full, partial, default and excessive reversals
// of every kind of transaction, mixed with deposits, withdrawals, transfers, replays and key reuses,
// every account's balance, version, pending sums and available balance always equal an in-memory
// model's, every hold's status and capture too (and each wallet's list of holds), and the ledger's
// invariants hold at the end; and that a hold creation repeated after its expiry replays its answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { AMOUNT_MAX } from '../../src/money.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { newKey, startTestService, type TestService } from '../support/service.js';
import { CaptureHold, CreateHold, ExpireHolds, Reverse, SHORT_EXPIRY_MAX_MS, VoidHold, type AmountChoice, type Expiry } from './holdAndReversalCommands.js';
import { DepositOrWithdraw, type LedgerCommand, OpenAccount, Replay, ReuseKey, Transfer } from './holdCommands.js';
import { assertHoldListsMatch, assertHoldsMatch, ManualClock, type Model } from './holdModel.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEQUENCES = Math.max(1, Math.ceil(RUNS / 4));
const COMMANDS_MAX = 30;
/** Due holds are found by a sweep this often (the default is a second; the test waits for it). */
const SWEEP_INTERVAL_MS = 50;

// ---- Generators --------------------------------------------------------------------------------

/** An index into a list (taken modulo its length), now and then one naming nothing. */
const index = fc.oneof({ weight: 12, arbitrary: fc.nat(30) }, { weight: 1, arbitrary: fc.constant(-1) });
/** Balances stay far from the range's ends (the base model test covers those): no posting overflows. */
const amount = fc.bigInt({ min: 1n, max: 600n });
/** A hold may ask far more than any wallet has. */
const holdAmount = fc.oneof({ weight: 12, arbitrary: amount }, { weight: 1, arbitrary: fc.constantFrom(AMOUNT_MAX, 10n ** 20n) });
const expiry: fc.Arbitrary<Expiry> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'default' as const }) },
  { weight: 6, arbitrary: fc.integer({ min: 1_000, max: SHORT_EXPIRY_MAX_MS }).map((ms) => ({ kind: 'in' as const, ms })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3_600_000 }).map((ms) => ({ kind: 'past' as const, ms })) },
);
const amountChoice: fc.Arbitrary<AmountChoice> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'default' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'all' as const }) },
  { weight: 3, arbitrary: fc.nat(1_000).map((n) => ({ kind: 'some' as const, n })) },
  { weight: 1, arbitrary: fc.nat(1_000).map((n) => ({ kind: 'over' as const, n })) },
);

const commands = fc.commands(
  [
    fc.nat(1).map((currency) => new OpenAccount(currency)),
    fc.tuple(fc.constantFrom('deposit' as const, 'withdraw' as const), index, amount).map(([kind, wallet, value]) => new DepositOrWithdraw(kind, wallet, value)),
    fc.tuple(index, index, amount).map(([source, destination, value]) => new Transfer(source, destination, value)),
    fc.tuple(index, fc.option(index, { freq: 3 }), holdAmount, fc.option(fc.nat(1), { freq: 3 }), expiry)
      .map(([source, destination, value, currency, expires]) => new CreateHold(source, destination, value, currency, expires)),
    fc.tuple(index, fc.option(index, { freq: 3 }), holdAmount, fc.option(fc.nat(1), { freq: 3 }), expiry)
      .map(([source, destination, value, currency, expires]) => new CreateHold(source, destination, value, currency, expires)),
    fc.tuple(index, amountChoice).map(([hold, choice]) => new CaptureHold(hold, choice)),
    fc.tuple(index, amountChoice).map(([hold, choice]) => new CaptureHold(hold, choice)),
    fc.tuple(index, fc.boolean()).map(([hold, withBody]) => new VoidHold(hold, withBody)),
    fc.tuple(fc.nat(30), fc.constantFrom('none' as const, 'capture' as const, 'void' as const)).map(([hold, probe]) => new ExpireHolds(hold, probe)),
    fc.tuple(index, amountChoice, fc.boolean()).map(([transaction, choice, described]) => new Reverse(transaction, choice, described)),
    fc.tuple(index, amountChoice, fc.boolean()).map(([transaction, choice, described]) => new Reverse(transaction, choice, described)),
    fc.nat(100).map((entry) => new Replay(entry)),
    fc.nat(100).map((entry) => new ReuseKey(entry)),
  ],
  { maxCommands: COMMANDS_MAX, size: 'max' },
);

/** Each sequence starts with four funded wallets, three in the first currency, and a hold, so that most commands can succeed. */
const OPENING: LedgerCommand[] = [
  new OpenAccount(0),
  new OpenAccount(0),
  new OpenAccount(0),
  new OpenAccount(1),
  new DepositOrWithdraw('deposit', 0, 1_000n),
  new DepositOrWithdraw('deposit', 1, 500n),
  new DepositOrWithdraw('deposit', 3, 700n),
  new CreateHold(0, 1, 300n, null, { kind: 'in', ms: 60_000 }),
];

describe('holds and reversals against an in-memory model', () => {
  const clock = new ManualClock();
  let api: TestService;
  before(async () => {
    // A test clock cannot reach worker threads: the partitions commit on the main thread here.
    api = await startTestService({ PARTITION_MODE: 'inline', HOLD_SWEEP_INTERVAL_MS: String(SWEEP_INTERVAL_MS) }, clock);
  });
  after(() => api.close());

  test('random command sequences keep the API equal to the model', async () => {
    let sequence = 0;
    await fc.assert(
      fc.asyncProperty(commands, async (steps) => {
        sequence += 1;
        const tag = sequence.toString(36).toUpperCase();
        const model: Model = {
          currencies: [`H${tag}A`, `H${tag}B`],
          wallets: [],
          settlements: new Map(),
          holds: [],
          transactions: [],
          history: [],
          keyPrefix: `holds-model-${process.pid}-${sequence}`,
          keysUsed: 0,
          clock,
        };
        const real = { api };
        for (const step of OPENING) await step.run(model, real);
        await fc.asyncModelRun(() => ({ model, real }), steps);
        await assertHoldsMatch(model, real);
        await assertHoldListsMatch(model, real);
      }),
      // A failing sequence is reported as found: shrinking it re-runs dozens of sequences, each
      // waiting for sweeps, past the test file's time limit.
      { numRuns: SEQUENCES, includeErrorInReport: true, endOnFailure: true },
    );
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
  });

  // A repeat is judged by its stored answer, not by the clock again: its expires_at has passed.
  test('a hold creation sent again with its key after its expires_at has passed replays the first answer', async () => {
    const opened = await api.request('POST', '/v1/accounts', { body: { currency: 'HREPLAY' }, idempotencyKey: newKey() });
    const funded = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: opened.body.id, amount: '100' }, idempotencyKey: newKey() });
    assert.equal(funded.status, 201, funded.raw);
    const body = { source_account_id: opened.body.id, amount: '40', expires_at: new Date(clock.nowMs() + 60_000).toISOString() };
    const key = newKey();
    const first = await api.request('POST', '/v1/holds', { body, idempotencyKey: key });
    assert.equal(first.status, 201, first.raw);
    clock.advanceTo(clock.nowMs() + 60_001);
    const repeat = await api.request('POST', '/v1/holds', { body, idempotencyKey: key });
    assert.equal(repeat.status, 201, repeat.raw);
    assert.equal(repeat.raw, first.raw);
    assert.equal(repeat.headers['idempotent-replayed'], 'true');
  });
});
