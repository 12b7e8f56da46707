// Proves inStoredKeyOrder lists keys exactly as PostgreSQL's jsonb gives them back (checked against
// the server itself, on random objects), so that a body rendered from stored rows repeats the first
// answer byte for byte.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inStoredKeyOrder } from '../../src/ledger/storedKeyOrder.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase(2);
});
after(() => database.drop());

// Keys whose UTF-16 order, UTF-8 byte order and length order disagree, and keys JavaScript lists
// first whatever the insertion order (array indexes).
const KEY_PARTS = ['a', 'b', 'Z', '_', 'é', 'ab', '\uFF61', '😀', '0', '1', '2', '10', '007', ' ', '__proto__'];
const NUMBERS = [0, -0, 1, -1, 0.1, 1.5e-7, 1e21, 123456789012345680000, 2 ** 53 + 2, -3.25];

function randomInt(below: number): number {
  return Math.floor(Math.random() * below);
}

function randomValue(depth: number): unknown {
  const choice = randomInt(depth > 2 ? 4 : 6);
  if (choice === 0) return NUMBERS[randomInt(NUMBERS.length)];
  if (choice === 1) return KEY_PARTS[randomInt(KEY_PARTS.length)];
  if (choice === 2) return [true, false, null][randomInt(3)];
  if (choice === 3) return null;
  if (choice === 4) return Array.from({ length: randomInt(3) }, () => randomValue(depth + 1));
  return randomObject(depth + 1);
}

function randomObject(depth: number): Record<string, unknown> {
  const entries: Array<[string, unknown]> = Array.from({ length: randomInt(7) }, () => {
    const key = Array.from({ length: 1 + randomInt(2) }, () => KEY_PARTS[randomInt(KEY_PARTS.length)]).join('');
    return [key, randomValue(depth)];
  });
  return Object.fromEntries(entries);
}

test('keys come out in the order jsonb stores them, at every depth, for 300 random objects', async () => {
  for (let round = 0; round < 300; round++) {
    const value = randomObject(0);
    const stored = await database.pool.query<{ back: unknown }>('SELECT $1::jsonb AS back', [JSON.stringify(value)]);
    assert.equal(JSON.stringify(inStoredKeyOrder(value)), JSON.stringify(stored.rows[0]!.back), JSON.stringify(value));
  }
});

test('a key named __proto__ stays a key and sets no prototype', () => {
  const value = JSON.parse('{"b":1,"__proto__":{"polluted":true},"a":2}') as Record<string, unknown>;
  const ordered = inStoredKeyOrder(value);
  assert.deepEqual(Object.keys(ordered), ['a', 'b', '__proto__']);
  assert.equal(Object.getPrototypeOf(ordered), Object.prototype);
  assert.equal((ordered as { polluted?: boolean }).polluted, undefined);
});
