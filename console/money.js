// Money as the ledger keeps it: an integer count of the currency's minor units, as a string.
// Shown with the currency's ISO 4217 exponent (1050 USD reads 10.50 USD); a currency not in the
// table is shown in minor units, since guessing its scale could misstate an amount a hundredfold.
// String arithmetic only: amounts can exceed what a JavaScript number holds exactly.

/** ISO 4217 minor-unit exponents, where they are not 2. */
const EXPONENTS_OTHER_THAN_TWO = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0,
  XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

/** ISO 4217 currencies whose exponent is 2. */
const TWO_DECIMAL_CURRENCIES = `AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
  CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD
  HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
  MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE
  SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG`;

const EXPONENTS = new Map([
  ...Object.entries(EXPONENTS_OTHER_THAN_TWO),
  ...TWO_DECIMAL_CURRENCIES.split(/\s+/).map((code) => [code, 2]),
]);

/** The currency's exponent, or undefined when the table does not know the currency. */
export function minorUnitExponent(currency) {
  return EXPONENTS.get(currency);
}

/** "1050", "USD" → "10.50 USD"; "1050", "XYZ" → "1050 XYZ minor units". */
export function formatMoney(minorUnits, currency) {
  const text = String(minorUnits);
  if (!/^-?[0-9]+$/.test(text)) return `${text} ${currency}`;
  const exponent = minorUnitExponent(currency);
  if (exponent === undefined) return `${text} ${currency} minor units`;
  return `${scaled(text, exponent)} ${currency}`;
}

function scaled(text, exponent) {
  const negative = text.startsWith('-');
  const digits = (negative ? text.slice(1) : text).replace(/^0+(?=[0-9])/, '');
  if (exponent === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(exponent + 1, '0');
  const whole = padded.slice(0, -exponent);
  const fraction = padded.slice(-exponent);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}
