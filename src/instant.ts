// Instants as the API takes them: RFC 3339 text, which PostgreSQL reads to the microsecond. A
// JavaScript Date keeps milliseconds (and Date.parse refuses a leap second PostgreSQL reads), so
// instants are compared here as microseconds since the epoch.

const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const MICROSECOND_DIGITS = 6;

/** Microseconds since the epoch; fractions beyond the microsecond are cut, which only ties. */
export function instantMicroseconds(text: string): bigint {
  const match = RFC_3339.exec(text);
  if (!match) throw new Error(`not an RFC 3339 date-time: ${text}`);
  const [, year, month, day, hour, minute, second, fraction = '', sign, offsetHours = '0', offsetMinutes = '0'] = match;
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), 0);
  const wholeMs = date.getTime() - offsetMs;
  return BigInt(wholeMs) * 1000n + BigInt(fraction.slice(0, MICROSECOND_DIGITS).padEnd(MICROSECOND_DIGITS, '0'));
}
