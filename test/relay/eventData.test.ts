// Proves the relay renders each event type (accounts, postings, reversals, multi-leg transactions, holds) from ledger rows to exactly
// the bytes of the example in docs/contracts/wallet-ledger-events.md (same fields, same order, same
// formatting), so that the contract and the code cannot drift apart unnoticed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloudEvent, type LedgerEventType } from '../../src/ledger/events.js';
import type { AccountRow, EntryRow, HoldRow, LedgerTransactionRow, MultiLegTransactionRow, PostedLedgerTransaction } from '../../src/ledger/ledgerRows.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { postedEventBody } from '../../src/relay/eventBodies.js';
import { accountEventData, accountUpdatedEventData, holdCapturedEventData, holdEventData } from '../../src/relay/eventData.js';

const CONTRACT = path.join(PROJECT_ROOT, 'docs/contracts/wallet-ledger-events.md');
const WALLET = '0193a5c2-7b1d-7f00-8e2a-1c3d4e5f6a7b';
const SETTLEMENT_USD = '7c6f2d1e-5a4b-5c3d-9e8f-0a1b2c3d4e5f';
const FRIEND = '0193a5c5-0001-7bcd-8e00-aa11bb22cc33';
const RIDE_HOLD = '0193a5c6-0100-7a00-8b00-0000000000a1';

/** The ride hold of the contract's examples, captured for 150 of its 200 by CAPTURE. */
const CAPTURE: PostingExample = {
  eventId: '0193a5c6-5e00-7d01-8e02-0f1e2d3c4b5a', type: 'transfer', id: '0193a5c6-5d00-7c00-9d00-1a2b3c4d5e6f',
  time: '2024-11-25T10:19:30.250Z', amount: 150n, source: [WALLET, 100n, 4n], destination: [FRIEND, 650n, 2n],
  description: 'Ride deposit', metadata: { ride: 'r-77' },
  entryIds: ['0193a5c6-5d01-7001-8a00-000000000007', '0193a5c6-5d01-7002-8a00-000000000008'],
  holdId: RIDE_HOLD,
};

function hold(overrides: Partial<HoldRow>): HoldRow {
  return {
    id: RIDE_HOLD, source_account_id: WALLET, destination_account_id: FRIEND, amount: 200n, captured_amount: 0n, currency: 'USD',
    status: 'pending', expires_at: new Date('2024-12-02T10:18:00.000Z'), capture_transaction_id: null, description: 'Ride deposit',
    metadata: { ride: 'r-77' }, created_at: new Date('2024-11-25T10:18:00.000Z'), updated_at: new Date('2024-11-25T10:18:00.000Z'),
    ...overrides,
  };
}

/** The contract's example of each event type, compacted: the bytes the relay must produce. */
async function contractExamples(): Promise<Map<string, string>> {
  const markdown = await readFile(CONTRACT, 'utf8');
  const examples = new Map<string, string>();
  for (const match of markdown.matchAll(/^### `([a-z_.]+)`\n\n```json\n([\s\S]*?)\n```/gm)) {
    examples.set(match[1]!, JSON.stringify(JSON.parse(match[2]!)));
  }
  return examples;
}

interface PostingExample {
  eventId: string;
  type: LedgerTransactionRow['type'];
  id: string;
  time: string;
  amount: bigint;
  source: [account: string, balanceAfter: bigint, sequence: bigint];
  destination: [account: string, balanceAfter: bigint, sequence: bigint];
  description: string | null;
  metadata: Record<string, unknown>;
  entryIds: [string, string];
  holdId?: string;
  reverses?: string;
}

function postingRows(example: PostingExample): PostedLedgerTransaction {
  const createdAt = new Date(example.time);
  const transaction: LedgerTransactionRow = {
    id: example.id,
    type: example.type,
    status: 'posted',
    amount: example.amount,
    currency: 'USD',
    source_account_id: example.source[0],
    destination_account_id: example.destination[0],
    description: example.description,
    metadata: example.metadata,
    hold_id: example.holdId ?? null,
    reverses_transaction_id: example.reverses ?? null,
    created_at: createdAt,
  };
  const entry = (index: 0 | 1, [account, balanceAfter, sequence]: PostingExample['source']): EntryRow => ({
    id: example.entryIds[index],
    transaction_id: example.id,
    account_id: account,
    direction: index === 0 ? 'debit' : 'credit',
    amount: example.amount,
    balance_after: balanceAfter,
    sequence,
    created_at: createdAt,
  });
  return { transaction, entries: [entry(0, example.source), entry(1, example.destination)], reversedAmount: 0n };
}

const POSTINGS: PostingExample[] = [
  {
    eventId: '0193a5c3-1f40-7b55-a0c2-3e9d7f6b2c10', type: 'deposit', id: '0193a5c3-1f3e-7d21-b6a0-8f1e2d3c4b5a',
    time: '2024-11-25T10:15:44.902Z', amount: 1050n, source: [SETTLEMENT_USD, -1050n, 1n], destination: [WALLET, 1050n, 1n],
    description: 'Card top-up', metadata: {},
    entryIds: ['0193a5c3-1f3f-7001-8a00-000000000001', '0193a5c3-1f3f-7002-8a00-000000000002'],
  },
  {
    eventId: '0193a5c4-0a11-7c2e-8d3f-4a5b6c7d8e90', type: 'withdrawal', id: '0193a5c4-0a0f-7e8d-9c1b-2a3f4e5d6c7b',
    time: '2024-11-25T10:16:45.010Z', amount: 300n, source: [WALLET, 750n, 2n], destination: [SETTLEMENT_USD, -750n, 2n],
    description: null, metadata: {},
    entryIds: ['0193a5c4-0a10-7001-8a00-000000000003', '0193a5c4-0a10-7002-8a00-000000000004'],
  },
  {
    eventId: '0193a5c5-3c22-7d10-9e4f-5a6b7c8d9e01', type: 'transfer', id: '0193a5c5-3c20-7a9b-8c7d-6e5f4a3b2c1d',
    time: '2024-11-25T10:17:03.455Z', amount: 500n, source: [WALLET, 250n, 3n], destination: [FRIEND, 500n, 1n],
    description: 'Rent share', metadata: { invoice: '2024-11' },
    entryIds: ['0193a5c5-3c21-7001-8a00-000000000005', '0193a5c5-3c21-7002-8a00-000000000006'],
  },
  {
    eventId: '0193a5c7-2b00-7c11-8d22-3e4f5a6b7c8d', type: 'reversal', id: '0193a5c7-2a00-7b10-9c21-4d3e2f1a0b9c',
    time: '2024-11-25T10:21:12.004Z', amount: 100n, source: [FRIEND, 550n, 3n], destination: [WALLET, 200n, 5n],
    description: 'Ride refund', metadata: {},
    entryIds: ['0193a5c7-2a01-7001-8a00-000000000009', '0193a5c7-2a01-7002-8a00-00000000000a'],
    reverses: CAPTURE.id,
  },
];

for (const example of POSTINGS) {
  const eventType: LedgerEventType = `${example.type}.posted`;
  test(`a ${eventType} event rendered from its rows is the contract's example, byte for byte`, async () => {
    const expected = (await contractExamples()).get(eventType);
    assert.ok(expected, `the contract has a ${eventType} example`);
    const body = postedEventBody(example.eventId, eventType, new Date(example.time), postingRows(example));
    assert.equal(body, expected);
  });
}

test("a multi_leg.posted event rendered from its rows is the contract's example, byte for byte", async () => {
  const expected = (await contractExamples()).get('multi_leg.posted');
  assert.ok(expected, 'the contract has a multi_leg.posted example');
  const id = '0193a5ca-1000-7a00-9b00-5c4d3e2f1a0b';
  const time = new Date('2024-11-25T10:25:30.120Z');
  const transaction: MultiLegTransactionRow = {
    id, type: 'multi_leg', status: 'posted', amount: null, currency: null, source_account_id: null, destination_account_id: null,
    description: 'Ride with fee', metadata: { ride: 'r-78' }, hold_id: null, reverses_transaction_id: null, created_at: time,
    legs: [
      { source_account_id: WALLET, destination_account_id: FRIEND, amount: 120n, currency: 'USD' },
      { source_account_id: WALLET, destination_account_id: SETTLEMENT_USD, amount: 30n, currency: 'USD' },
    ],
  };
  const sides: Array<[string, 'debit' | 'credit', bigint, bigint, bigint]> = [
    [WALLET, 'debit', 120n, 80n, 6n], [FRIEND, 'credit', 120n, 670n, 4n], [WALLET, 'debit', 30n, 50n, 7n], [SETTLEMENT_USD, 'credit', 30n, -720n, 3n],
  ];
  const entries: EntryRow[] = sides.map(([account, direction, amount, balanceAfter, sequence], index) => ({
    id: `0193a5ca-1001-700${index + 1}-8a00-00000000000${'bcde'[index]}`, transaction_id: id, account_id: account, direction, amount,
    balance_after: balanceAfter, sequence, created_at: time,
  }));
  const body = postedEventBody('0193a5ca-1100-7b00-8c00-0000000000c1', 'multi_leg.posted', time, { transaction, entries, reversedAmount: 0n });
  assert.equal(body, expected);
});

test('an account.created event rendered from its row is the contract\'s example, byte for byte', async () => {
  const expected = (await contractExamples()).get('account.created');
  assert.ok(expected, 'the contract has an account.created example');
  const openedAt = new Date('2024-11-25T10:15:02.318Z');
  const account: AccountRow = {
    id: WALLET, kind: 'user', currency: 'USD', balance: 0n, pending_debits: 0n, pending_credits: 0n, status: 'active', overdraft_limit: 0n, external_ref: 'customer-4812',
    metadata: { tier: 'gold' }, version: 0n, created_at: openedAt, updated_at: openedAt,
  };
  const envelope = cloudEvent('0193a5c2-7b1e-7a3c-9d41-5f2e8c1b0a01', 'account.created', WALLET, openedAt, accountEventData(account));
  assert.equal(JSON.stringify(envelope), expected);
});

test("an account.updated event rendered from its rows is the contract's example, byte for byte", async () => {
  const expected = (await contractExamples()).get('account.updated');
  assert.ok(expected, 'the contract has an account.updated example');
  const frozenAt = new Date('2024-11-25T10:25:40.120Z');
  const account: AccountRow = {
    id: WALLET, kind: 'user', currency: 'USD', balance: 200n, pending_debits: 0n, pending_credits: 0n, status: 'frozen', overdraft_limit: 0n,
    external_ref: 'customer-4812', metadata: { tier: 'gold' }, version: 6n, created_at: new Date('2024-11-25T10:15:02.318Z'), updated_at: frozenAt,
  };
  const history = { account_id: WALLET, version: 6n, request_id: 'req-7f3a9c', changes: { status: { from: 'active', to: 'frozen' } } };
  const data = accountUpdatedEventData('account.frozen', account, history);
  const envelope = cloudEvent('0193a5ca-0300-7c00-8d00-0000000000c1', 'account.updated', WALLET, frozenAt, data);
  assert.equal(JSON.stringify(envelope), expected);
});

const HOLD_EXAMPLES: Array<{ eventType: LedgerEventType; eventId: string; data: () => unknown; row: HoldRow }> = [
  { eventType: 'hold.created', eventId: '0193a5c6-0101-7b00-8c00-0000000000b1', row: hold({}), data: () => holdEventData(hold({})) },
  (() => {
    const capturedAt = new Date(CAPTURE.time);
    const row = hold({ status: 'captured', captured_amount: 150n, capture_transaction_id: CAPTURE.id, updated_at: capturedAt });
    const posting = postingRows(CAPTURE);
    return {
      eventType: 'hold.captured' as const, eventId: '0193a5c6-5f00-7e00-8f00-0000000000b2', row,
      data: () => holdCapturedEventData(row, posting.transaction, posting.entries),
    };
  })(),
  (() => {
    const row = hold({
      id: '0193a5c8-0100-7a00-8b00-0000000000a2', destination_account_id: SETTLEMENT_USD, amount: 50n, status: 'voided', description: null,
      metadata: {}, created_at: new Date('2024-11-25T10:22:00.000Z'), updated_at: new Date('2024-11-25T10:23:10.500Z'),
      expires_at: new Date('2024-11-26T10:22:00.000Z'),
    });
    return { eventType: 'hold.voided' as const, eventId: '0193a5c8-0200-7b00-8c00-0000000000b3', row, data: () => holdEventData(row) };
  })(),
  (() => {
    const row = hold({
      id: '0193a5c9-0100-7a00-8b00-0000000000a3', amount: 30n, status: 'expired', description: null, metadata: {},
      created_at: new Date('2024-11-25T10:24:00.000Z'), expires_at: new Date('2024-11-25T11:24:00.000Z'), updated_at: new Date('2024-11-25T11:24:00.731Z'),
    });
    return { eventType: 'hold.expired' as const, eventId: '0193a5d6-0200-7b00-8c00-0000000000b4', row, data: () => holdEventData(row) };
  })(),
];

for (const example of HOLD_EXAMPLES) {
  test(`a ${example.eventType} event rendered from its rows is the contract's example, byte for byte`, async () => {
    const expected = (await contractExamples()).get(example.eventType);
    assert.ok(expected, `the contract has a ${example.eventType} example`);
    const envelope = cloudEvent(example.eventId, example.eventType, example.row.id, example.row.updated_at, example.data());
    assert.equal(JSON.stringify(envelope), expected);
  });
}

test("a capture's transfer.posted carries its hold_id", () => {
  const body = JSON.parse(postedEventBody(CAPTURE.eventId, 'transfer.posted', new Date(CAPTURE.time), postingRows(CAPTURE)));
  assert.equal(body.data.hold_id, RIDE_HOLD);
});

test('every event type has an example in the contract', async () => {
  const examples = await contractExamples();
  const types: LedgerEventType[] = ['account.created', 'account.updated', 'deposit.posted', 'withdrawal.posted', 'transfer.posted', 'reversal.posted',
    'multi_leg.posted', 'hold.created', 'hold.captured', 'hold.voided', 'hold.expired'];
  assert.deepEqual(types.filter((type) => !examples.has(type)), []);
});
