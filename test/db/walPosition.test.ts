// Proves that WAL positions read as PostgreSQL prints them compare as 64-bit offsets (the high half
// counts), print back in PostgreSQL's spelling, and that anything else is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatWalPosition, parseWalPosition } from '../../src/db/walPosition.js';

test('positions compare by their 64-bit offset and print as PostgreSQL does', () => {
  assert.equal(parseWalPosition('0/16B3748'), 0x16b3748n);
  assert.ok(parseWalPosition('1/0')! > parseWalPosition('0/FFFFFFFF')!);
  assert.equal(parseWalPosition('0/16b3748'), parseWalPosition('0/16B3748'));
  for (const text of ['0/0', '0/16B3748', 'FFFFFFFF/FFFFFFFF', '2A/1']) assert.equal(formatWalPosition(parseWalPosition(text)!), text);
});

test('anything but two hexadecimal halves of at most 8 digits is not a position', () => {
  for (const text of ['', '0', '0/', '/0', '1/2/3', '123456789/0', '0/G', ' 0/1', '-1/0', '0x1/0']) assert.equal(parseWalPosition(text), undefined, text);
});
