import { randomFillSync } from 'node:crypto';
import { v5 as uuidV5, v7 as uuidV7 } from 'uuid';

// Time-ordered ids keep inserts at the right edge of the primary-key indexes.

// uuid's v7 asks crypto.getRandomValues for 16 bytes per id, and a transfer needs four ids: the
// random bytes come from a pooled buffer instead, refilled in one call (docs/performance.md). v7's
// monotonic counter is kept here, as uuid keeps it itself.
const RANDOM_BYTES_PER_ID = 16;
const RANDOM_POOL_IDS = 1024;
const randomPool = Buffer.alloc(RANDOM_BYTES_PER_ID * RANDOM_POOL_IDS);
let randomOffset = randomPool.length;
let lastMsecs = -Infinity;
let sequence = 0;

export function newId(): string {
  if (randomOffset === randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const random = randomPool.subarray(randomOffset, randomOffset + RANDOM_BYTES_PER_ID);
  randomOffset += RANDOM_BYTES_PER_ID;
  const now = Date.now();
  if (now > lastMsecs) {
    // A fresh millisecond starts the counter at a random 31-bit value, leaving room to count up.
    lastMsecs = now;
    sequence = random.readUInt32BE(6) & 0x7fffffff;
  } else {
    sequence = (sequence + 1) | 0;
    if (sequence === 0) lastMsecs++;
  }
  return uuidV7({ msecs: lastMsecs, seq: sequence, random });
}

const SETTLEMENT_NAMESPACE = '6f1c4a52-3f0e-4c61-9a51-5a0b2d3e7c11';

/** Every replica derives the same settlement account id for a currency, with no lookup. */
export function settlementAccountId(currency: string): string {
  return uuidV5(`settlement:${currency}`, SETTLEMENT_NAMESPACE);
}
