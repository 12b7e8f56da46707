// Proves the batch write path against a real database: a batch of 500 mixing successes and
// failures commits every success and rejects each failure alone, and a batch of 1 behaves the same.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../src/ids.js';
import { commitAndRespond } from '../../partitions/commitAndRespond.js';
import type { LedgerContext } from '../../src/ledger/ledgerContext.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { quietLedgerContext } from '../support/ledgerSettings.js';

let database: TestDatabase;
let context: LedgerContext;
let keys = 0;

before(async () => {
  database = await createTestDatabase();
  context = quietLedgerContext(database.pool);
});
after(() => database.drop());

const claim = () => ({ key: `apply-${++keys}`, fingerprint: `fp-${keys}` });
const posting = { currency: undefined, description: null, metadata: {} };

function open(currency = 'USD'): LedgerOperation {
  return { kind: 'open_account', accountId: newId(), currency, externalRef: null, metadata: {}, idempotency: undefined };
}
function deposit(accountId: string, amount: bigint): LedgerOperation {
  return { kind: 'deposit', accountId, amount, ...posting, idempotency: claim() };
}
function withdrawal(accountId: string, amount: bigint): LedgerOperation {
  return { kind: 'withdrawal', accountId, amount, ...posting, idempotency: claim() };
}
function transfer(sourceAccountId: string, destinationAccountId: string, amount: bigint): LedgerOperation {
  return { kind: 'transfer', sourceAccountId, destinationAccountId, amount, ...posting, idempotency: claim() };
}

async function openAccounts(count: number, currency = 'USD'): Promise<string[]> {
  const operations = Array.from({ length: count }, () => open(currency));
  const results = await commitAndRespond(context, operations);
  assert.ok(results.every((result) => result.statusCode === 201));
  return operations.map((operation) => (operation as { accountId: string }).accountId);
}

async function balances(ids: string[]): Promise<Map<string, bigint>> {
  const rows = await database.pool.query<{ id: string; balance: string }>('SELECT id, balance::text FROM accounts WHERE id = ANY($1::uuid[])', [ids]);
  return new Map(rows.rows.map((row) => [row.id, BigInt(row.balance)]));
}

async function assertLedgerSound(): Promise<void> {
  assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool)), []);
}

test('a batch of one applies or rejects its operation', async () => {
  const [wallet] = await openAccounts(1);
  assert.equal((await commitAndRespond(context, [deposit(wallet!, 500n)]))[0]!.statusCode, 201);
  const [rejectedResult] = await commitAndRespond(context, [withdrawal(wallet!, 501n)]);
  assert.equal(rejectedResult!.statusCode, 422);
  assert.equal(JSON.parse(rejectedResult!.body).code, 'insufficient_funds');
  assert.equal((await balances([wallet!])).get(wallet!), 500n);
  await assertLedgerSound();
});

test('a batch of 500 mixing successes and failures commits exactly the successes', async () => {
  const wallets = await openAccounts(20);
  const euro = (await openAccounts(1, 'EUR'))[0]!;
  const missing = newId();
  await commitAndRespond(context, wallets.map((id) => deposit(id, 1_000n)));
  await commitAndRespond(context, [deposit(euro, 1_000n)]);

  // A seeded mix, checked against a simple model applied in the same order.
  const model = new Map(wallets.map((id) => [id, 1_000n]));
  const operations: LedgerOperation[] = [];
  const expected: number[] = [];
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  for (let index = 0; index < 500; index++) {
    const source = wallets[random(wallets.length)]!;
    const destination = wallets[random(wallets.length)]!;
    const amount = BigInt(1 + random(400));
    const choice = random(10);
    if (choice === 0) {
      operations.push(transfer(source, missing, amount));
      expected.push(404);
    } else if (choice === 1) {
      operations.push(transfer(source, euro, amount));
      expected.push(422);
    } else if (choice === 2) {
      operations.push(withdrawal(source, amount));
      const ok = model.get(source)! >= amount;
      if (ok) model.set(source, model.get(source)! - amount);
      expected.push(ok ? 201 : 422);
    } else if (source === destination) {
      operations.push(transfer(source, destination, amount));
      expected.push(422);
    } else {
      operations.push(transfer(source, destination, amount));
      const ok = model.get(source)! >= amount;
      if (ok) {
        model.set(source, model.get(source)! - amount);
        model.set(destination, model.get(destination)! + amount);
      }
      expected.push(ok ? 201 : 422);
    }
  }
  const results = await commitAndRespond(context, operations);
  assert.deepEqual(results.map((result) => result.statusCode), expected);
  assert.ok(expected.filter((status) => status === 201).length > 100, 'the mix has many successes');
  assert.ok(expected.filter((status) => status === 422).length > 50, 'the mix has many rejections');
  assert.deepEqual(await balances(wallets), model);
  await assertLedgerSound();

  // Every outcome was stored: the same batch again replays each one and changes nothing.
  const replayed = await commitAndRespond(context, operations);
  assert.ok(replayed.every((result, index) => result.replayed && result.body === results[index]!.body));
  assert.deepEqual(await balances(wallets), model);
});

test('every success writes its outbox event in the same transaction', async () => {
  const [a, b] = await openAccounts(2);
  const results = await commitAndRespond(context, [deposit(a!, 10n), transfer(a!, b!, 4n), withdrawal(b!, 1n)]);
  const ids = results.map((result) => JSON.parse(result.body).id);
  const events = await renderedEvents(database.pool, ids);
  assert.deepEqual(events.map((event) => event.envelope.data), results.map((result) => JSON.parse(result.body)));
  assert.deepEqual(events.map((event) => [event.eventType, event.routingKey, event.subject]), [
    ['deposit.posted', 'ledger.deposit.posted', ids[0]],
    ['transfer.posted', 'ledger.transfer.posted', ids[1]],
    ['withdrawal.posted', 'ledger.withdrawal.posted', ids[2]],
  ]);
});
