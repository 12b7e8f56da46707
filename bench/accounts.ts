// The seeded accounts have ids computed from their number, so that the load generator, the seed
// and the pgbench scripts (through the SQL function bench.account_id) agree without a lookup.

export const CURRENCY = 'USD';
/** Account number 1 is the merchant every hot-account transfer pays into. */
export const MERCHANT_NUMBER = 1;
/** Accounts 2 and 3 take the fee and the tax of every multi-leg payment (scenario 7). */
export const FEE_NUMBER = 2;
export const TAX_NUMBER = 3;
/** Every seeded account starts with this many minor units: no benchmark transfer can run out. */
export const OPENING_BALANCE = 10n ** 15n;
/** Amounts of benchmark operations are drawn from 1 .. AMOUNT_MAX minor units. */
export const AMOUNT_MAX = 1000;

const ID_PREFIX = '00000000-0000-4000-8000-';

export function accountId(number: number): string {
  return ID_PREFIX + String(number).padStart(12, '0');
}

/** The same mapping in SQL, used by the seed and the pgbench scripts. */
export const ACCOUNT_ID_SQL = `('${ID_PREFIX}' || lpad(n::text, 12, '0'))::uuid`;
