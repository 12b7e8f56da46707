// Proves that over random sequences of multi-leg transactions (1 to 5 legs between wallets and
// settlement accounts named by id or as settlement:<CURRENCY>, in one or two currencies, some
// naming unknown accounts, the same account twice, a wrong currency or more than a wallet holds)
// mixed with deposits, withdrawals, transfers, holds, replays and key reuses, every account's
// balance, version and available balance always equal an in-memory model's (a refused leg applies
// nothing of its transaction, and names that leg), and the ledger's invariants hold at the end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { startTestService, type TestService } from '../support/service.js';
import { CreateHold } from './holdAndReversalCommands.js';
import { DepositOrWithdraw, type LedgerCommand, OpenAccount, Replay, ReuseKey, Transfer } from './holdCommands.js';
import { ManualClock, type Model } from './holdModel.js';
import { PostMultiLeg, type LegSide, type ModelLeg } from './multiLegCommands.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEQUENCES = Math.max(1, Math.ceil(RUNS / 4));
const COMMANDS_MAX = 30;
const LEGS_MAX = 5;

/** An index into a list (taken modulo its length), now and then one naming nothing. */
const index = fc.oneof({ weight: 12, arbitrary: fc.nat(30) }, { weight: 1, arbitrary: fc.constant(-1) });
const amount = fc.bigInt({ min: 1n, max: 600n });
const side: fc.Arbitrary<LegSide> = fc.oneof(
  { weight: 6, arbitrary: index.map((wallet) => ({ kind: 'wallet' as const, index: wallet })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(1), fc.boolean()).map(([currencyIndex, byName]) => ({ kind: 'settlement' as const, currencyIndex, byName })) },
);
const leg: fc.Arbitrary<ModelLeg> = fc.record({
  source: side,
  destination: side,
  amount,
  // Mostly none: a named currency is wrong half the time, and most legs should reach the balances.
  currencyIndex: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(1) }),
});
const multiLeg = fc.array(leg, { minLength: 1, maxLength: LEGS_MAX }).map((legs) => new PostMultiLeg(legs));

const commands = fc.commands(
  [
    fc.nat(1).map((currency) => new OpenAccount(currency)),
    fc.tuple(fc.constantFrom('deposit' as const, 'withdraw' as const), index, amount).map(([kind, wallet, value]) => new DepositOrWithdraw(kind, wallet, value)),
    fc.tuple(index, index, amount).map(([source, destination, value]) => new Transfer(source, destination, value)),
    fc.tuple(index, fc.option(index, { freq: 3 }), amount).map(([source, destination, value]) => new CreateHold(source, destination, value, null, { kind: 'default' })),
    multiLeg,
    multiLeg,
    multiLeg,
    fc.nat(100).map((entry) => new Replay(entry)),
    fc.nat(100).map((entry) => new ReuseKey(entry)),
  ],
  { maxCommands: COMMANDS_MAX, size: 'max' },
);

/** Each sequence starts with four funded wallets, three in the first currency, so that most legs can succeed. */
const OPENING: LedgerCommand[] = [
  new OpenAccount(0),
  new OpenAccount(0),
  new OpenAccount(0),
  new OpenAccount(1),
  new DepositOrWithdraw('deposit', 0, 1_000n),
  new DepositOrWithdraw('deposit', 1, 500n),
  new DepositOrWithdraw('deposit', 3, 700n),
];

describe('multi-leg transactions against an in-memory model', () => {
  const clock = new ManualClock();
  let api: TestService;
  before(async () => {
    api = await startTestService({ PARTITION_MODE: 'inline' }, clock);
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
          holds: [],
          transactions: [],
          history: [],
          keyPrefix: `multi-leg-model-${process.pid}-${sequence}`,
          keysUsed: 0,
          clock,
        };
        const real = { api };
        for (const step of OPENING) await step.run(model, real);
        await fc.asyncModelRun(() => ({ model, real }), steps);
      }),
      { numRuns: SEQUENCES, includeErrorInReport: true, endOnFailure: true },
    );
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
  });
});
