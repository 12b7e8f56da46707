// Proves the relay renders each event type from ledger rows to exactly the bytes of the example in
// docs/contracts/wallet-ledger-events.md (same fields, same order, same formatting), so that the
// contract and the code cannot drift apart unnoticed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloudEvent, type LedgerEventType } from '../../src/ledger/events.js';
import type { AccountRow, EntryRow, LedgerTransactionRow, PostedLedgerTransaction } from '../../src/ledger/ledgerRows.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { postedEventBody } from '../../src/relay/eventBodies.js';
import { accountEventData } from '../../src/relay/eventData.js';

const CONTRACT = path.join(PROJECT_ROOT, 'docs/contracts/wallet-ledger-events.md');
const WALLET = '0193a5c2-7b1d-7f00-8e2a-1c3d4e5f6a7b';
const SETTLEMENT_USD = '7c6f2d1e-5a4b-5c3d-9e8f-0a1b2c3d4e5f';
const FRIEND = '0193a5c5-0001-7bcd-8e00-aa11bb22cc33';

/** The contract's example of each event type, compacted: the bytes the relay must produce. */
async function contractExamples(): Promise<Map<string, string>> {
  const markdown = await readFile(CONTRACT, 'utf8');
  const examples = new Map<string, string>();
  for (const match of markdown.matchAll(/^### `([a-z.]+)`\n\n```json\n([\s\S]*?)\n```/gm)) {
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
    hold_id: null,
    reverses_transaction_id: null,
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

test('an account.created event rendered from its row is the contract\'s example, byte for byte', async () => {
  const expected = (await contractExamples()).get('account.created');
  assert.ok(expected, 'the contract has an account.created example');
  const openedAt = new Date('2024-11-25T10:15:02.318Z');
  const account: AccountRow = {
    id: WALLET, kind: 'user', currency: 'USD', balance: 0n, pending_debits: 0n, pending_credits: 0n, status: 'active', external_ref: 'customer-4812',
    metadata: { tier: 'gold' }, version: 0n, created_at: openedAt, updated_at: openedAt,
  };
  const envelope = cloudEvent('0193a5c2-7b1e-7a3c-9d41-5f2e8c1b0a01', 'account.created', WALLET, openedAt, accountEventData(account));
  assert.equal(JSON.stringify(envelope), expected);
});
