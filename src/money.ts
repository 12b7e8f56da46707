// Amounts are integers of minor units: bigint in code, numeric(38,0) in SQL, decimal strings on the wire.

/** The largest amount or balance magnitude the ledger holds: 10^38 - 1. */
export const AMOUNT_MAX = 10n ** 38n - 1n;

/** Canonical decimal form: no sign, no leading zero, no space, no exponent, no fraction. */
export const AMOUNT_PATTERN = '^[1-9][0-9]{0,37}$';
const amountRegExp = new RegExp(AMOUNT_PATTERN);

/**
 * Accepts a canonical decimal string or a positive safe integer; undefined when neither. The body
 * parser has already refused a JSON number whose source text is not plain digits (1.0, 1e2).
 */
export function parseAmount(value: unknown): bigint | undefined {
  if (typeof value === 'string') return amountRegExp.test(value) ? BigInt(value) : undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return BigInt(value);
  return undefined;
}

/** A limit of minor units: like an amount, but 0 is one too ("0" = none). */
export const LIMIT_PATTERN = '^(0|[1-9][0-9]{0,37})$';

/** Reads a limit the schema accepted: "0" or an amount. */
export function parseLimit(value: string): bigint {
  return BigInt(value);
}
