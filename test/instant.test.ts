// Proves that instantMicroseconds reads RFC 3339 as PostgreSQL reads a timestamptz: offsets, a
// space or lower-case t for T, a leap second rolling over, years below 100 as themselves, and
// fractions to the microsecond (beyond it cut, which only ties).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instantMicroseconds } from '../src/instant.js';

const EPOCH_2026 = BigInt(Date.parse('2026-01-01T00:00:00Z')) * 1000n;

test('Z, offsets and the spellings RFC 3339 allows name the same instant', () => {
  for (const text of ['2026-01-01T00:00:00Z', '2026-01-01T02:00:00+02:00', '2025-12-31T19:30:00-04:30', '2026-01-01 00:00:00z', '2026-01-01t00:00:00.000000Z']) {
    assert.equal(instantMicroseconds(text), EPOCH_2026, text);
  }
});

test('fractions count to the microsecond', () => {
  assert.equal(instantMicroseconds('2026-01-01T00:00:00.000001Z'), EPOCH_2026 + 1n);
  assert.equal(instantMicroseconds('2026-01-01T00:00:00.5Z'), EPOCH_2026 + 500_000n);
  assert.equal(instantMicroseconds('2026-01-01T00:00:00.1234569Z'), EPOCH_2026 + 123_456n);
});

test('a leap second rolls over into the next minute, as PostgreSQL reads it', () => {
  assert.equal(instantMicroseconds('2025-12-31T23:59:60Z'), EPOCH_2026);
});

test('years below 100 are those years, not 1900 and after', () => {
  assert.equal(instantMicroseconds('0050-01-01T00:00:00Z'), BigInt(Date.parse('0050-01-01T00:00:00Z')) * 1000n);
  assert.ok(instantMicroseconds('0050-01-01T00:00:00Z') < instantMicroseconds('1950-01-01T00:00:00Z'));
});
