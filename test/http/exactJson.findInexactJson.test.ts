// Proves that findInexactJson flags a body exactly when it repeats a key in some object or holds a
// number JSON cannot keep, for generated JSON written with escapes and whitespace, judged against
// an oracle that knows what was generated (BigInt arithmetic for the integers). "Keep" means that
// JSON.stringify writes the same decimal value back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { findInexactJson } from '../../src/http/exactJson.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300) * 3;
const NO_INTEGER_FIELDS: ReadonlySet<string> = new Set();

/** A JSON text with what it is known to hold. */
interface Generated {
  text: string;
  repeatsKey: boolean;
  inexact: boolean;
}

const EXACT_NUMBERS = ['0', '-0', '1', '-12', '0.1', '0.10', '1e21', '1.5E-7', '123456789012345', '9007199254740991', '1e-300', '2.5e+10', '100e-2', '1000000000000000000000e-3', '5e-324'];
const INEXACT_NUMBERS = ['1e400', '-1e400', '1e-400', '123456789012345678901234567890', '1.0000000000000001', '9007199254740993', '0.30000000000000001', '2.5e-324', '4.9e-324'];

/** Whether JSON.stringify writes the integer's double as the same value (1.1920928955078125e+23 is). */
function keptAsWritten(value: bigint): boolean {
  const [mantissa = '', exponent = '0'] = String(Number(value)).split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  const shift = Number(exponent) - fraction.length;
  return shift >= 0 && BigInt(whole + fraction) * 10n ** BigInt(shift) === value;
}

const numberToken: fc.Arbitrary<Generated> = fc.oneof(
  fc.constantFrom(...EXACT_NUMBERS).map((text) => ({ text, repeatsKey: false, inexact: false })),
  fc.constantFrom(...INEXACT_NUMBERS).map((text) => ({ text, repeatsKey: false, inexact: true })),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((value) => ({
    text: value.toString(),
    repeatsKey: false,
    inexact: !keptAsWritten(value),
  })),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => ({ text: JSON.stringify(value), repeatsKey: false, inexact: false })),
);

/** Strings that carry the characters a scanner could mistake: quotes, backslashes, colons, brackets. */
const text = fc.string({ unit: fc.constantFrom('a', 'b', '"', '\\', ':', '{', '}', '[', ']', ',', '1', 'e', '.', ' ', 'é', '\u2028'), maxLength: 6 });

/** Written as JSON would, or with every character as a \u escape: both are the same key to JSON.parse. */
const spelled = (value: string, escaped: boolean) =>
  escaped ? `"${[...value].map((character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(value);

const space = fc.constantFrom('', ' ', '\n\t', '\r\n ');

const json: fc.Arbitrary<Generated> = fc.letrec<{ value: Generated }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberToken,
    fc.tuple(text, fc.boolean()).map(([value, escaped]) => ({ text: spelled(value, escaped), repeatsKey: false, inexact: false })),
    fc.constantFrom('true', 'false', 'null').map((literal) => ({ text: literal, repeatsKey: false, inexact: false })),
    fc.tuple(fc.array(tie('value'), { maxLength: 4 }), space).map(([items, gap]) => ({
      text: `[${gap}${items.map((item) => item.text).join(`${gap},`)}]`,
      repeatsKey: items.some((item) => item.repeatsKey),
      inexact: items.some((item) => item.inexact),
    })),
    fc.tuple(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'é', '"', ''), fc.boolean(), tie('value')), { maxLength: 4 }), space).map(
      ([members, gap]) => {
        // Keys come from a small set, so that some objects repeat one.
        const keys = members.map(([key]) => key);
        return {
          text: `{${gap}${members.map(([key, escaped, item]) => `${spelled(key, escaped)}${gap}:${gap}${item.text}`).join(`,${gap}`)}}`,
          repeatsKey: new Set(keys).size !== keys.length || members.some(([, , item]) => item.repeatsKey),
          inexact: members.some(([, , item]) => item.inexact),
        };
      },
    ),
  ),
})).value;

describe('findInexactJson', () => {
  test('flags exactly the texts that repeat a key or hold a number JSON cannot keep', () => {
    fc.assert(
      fc.property(json, (generated) => {
        const parsed: unknown = JSON.parse(generated.text);
        const errors = findInexactJson(generated.text, parsed, NO_INTEGER_FIELDS);
        const expected = generated.repeatsKey || generated.inexact;
        assert.equal(errors.length > 0, expected, `${generated.text} → ${JSON.stringify(errors)}`);
        if (generated.repeatsKey) assert.ok(errors.some((error) => error.message.includes('more than once')), generated.text);
      }),
      { numRuns: RUNS },
    );
  });

  test('names the member of a top-level integer field written with a fraction, an exponent or a sign', () => {
    const amount: ReadonlySet<string> = new Set(['amount']);
    for (const written of ['1.0', '1e0', '-1', '0', '10E1']) {
      const body = `{"amount":${written}}`;
      assert.deepEqual(findInexactJson(body, JSON.parse(body), amount).map((error) => error.field), ['amount'], body);
    }
    for (const written of ['1', '1050', '9007199254740991']) {
      const body = `{"amount":${written},"metadata":{"amount":1.5}}`;
      assert.deepEqual(findInexactJson(body, JSON.parse(body), amount), [], body);
    }
  });
});
