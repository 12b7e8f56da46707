import { v5 as uuidV5, v7 as uuidV7 } from 'uuid';

// Time-ordered ids keep inserts at the right edge of the primary-key indexes.
export function newId(): string {
  return uuidV7();
}

const SETTLEMENT_NAMESPACE = '6f1c4a52-3f0e-4c61-9a51-5a0b2d3e7c11';

/** Every replica derives the same settlement account id for a currency, with no lookup. */
export function settlementAccountId(currency: string): string {
  return uuidV5(`settlement:${currency}`, SETTLEMENT_NAMESPACE);
}
