import type { FieldError } from '../errors.js';

// What JSON.parse hides in a body's source text: a key given twice (JSON.parse keeps the last
// value, another parser may keep the first, so a money field would mean two things) and a number
// whose text JSON cannot keep exactly (1e400 becomes null when stored, a 30-digit integer is
// rounded). One linear pass over text that JSON.parse has already accepted, with an explicit stack
// so that no nesting depth can overflow it.

/** Listing every error of a hostile body (a megabyte of repeated keys) would only make a huge answer. */
export const SOURCE_ERRORS_LISTED_MAX = 20;
/** Up to this many keys an object's keys are compared one by one; beyond, a Set keeps it linear. */
const KEYS_COMPARED_DIRECTLY_MAX = 16;
/** Integers with at most 15 digits are doubles exactly, so their text needs no closer look. */
const EXACT_INTEGER_DIGITS_MAX = 15;

export const DUPLICATE_KEY_MESSAGE = 'appears more than once in the same object';
export const INTEGER_TEXT_MESSAGE = 'as a JSON number must be written as plain digits (no fraction, exponent, sign or leading zero)';

interface Frame {
  /** Keys of an object so far; undefined for an array. */
  keys: string[] | Set<string> | undefined;
  /** The name of the member being read, or the index of the array item. */
  member: string;
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * Fields named in a body's JSON source that JSON.parse would read differently than the text says.
 * `integerFields` are top-level members whose numbers must be canonical integers in the text itself.
 * `text` must be JSON that JSON.parse accepts.
 */
export function findInexactJson(text: string, integerFields: ReadonlySet<string>): FieldError[] {
  const errors: FieldError[] = [];
  const stack: Frame[] = [];
  let expectingKey = false;
  for (let position = 0; position < text.length && errors.length < SOURCE_ERRORS_LISTED_MAX; ) {
    const code = text.charCodeAt(position);
    const frame = stack[stack.length - 1];
    if (code === QUOTE) {
      const end = closingQuote(text, position + 1);
      if (expectingKey && frame !== undefined) {
        const key = decodedKey(text, position + 1, end);
        if (!addKey(frame, key)) errors.push({ in: 'body', field: fieldPath(stack, key), message: DUPLICATE_KEY_MESSAGE });
        frame.member = key;
        expectingKey = false;
      }
      position = end + 1;
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      stack.push({ keys: code === OPEN_OBJECT ? [] : undefined, member: '', index: 0 });
      expectingKey = code === OPEN_OBJECT;
      position += 1;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      stack.pop();
      expectingKey = false;
      position += 1;
    } else if (code === COMMA) {
      if (frame?.keys === undefined) frame!.index += 1;
      else expectingKey = true;
      position += 1;
    } else if (code === 0x2d || (code >= 0x30 && code <= 0x39)) {
      const end = numberEnd(text, position);
      const message = numberProblem(text.slice(position, end), stack.length === 1 && integerFields.has(frame!.member));
      if (message) errors.push({ in: 'body', field: fieldPath(stack), message });
      position = end;
    } else {
      // Whitespace, ':', a leading byte order mark, or the letters of true, false and null.
      position += 1;
    }
  }
  return errors;
}

/** The index of the quote that closes the string whose text starts at `from`. */
function closingQuote(text: string, from: number): number {
  for (let quote = text.indexOf('"', from); ; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes += 1;
    // An even run of backslashes escapes itself, not the quote.
    if (backslashes % 2 === 0) return quote;
  }
}

/** A key as JSON.parse names the property: "\u0061" and "a" are the same key. */
function decodedKey(text: string, start: number, end: number): string {
  const raw = text.slice(start, end);
  return raw.includes('\\') ? (JSON.parse(text.slice(start - 1, end + 1)) as string) : raw;
}

/** Records the key in its object; false when the object already had it. */
function addKey(frame: Frame, key: string): boolean {
  const keys = frame.keys!;
  if (Array.isArray(keys)) {
    if (keys.includes(key)) return false;
    keys.push(key);
    if (keys.length > KEYS_COMPARED_DIRECTLY_MAX) frame.keys = new Set(keys);
    return true;
  }
  if (keys.has(key)) return false;
  keys.add(key);
  return true;
}

function numberEnd(text: string, start: number): number {
  let end = start + 1;
  for (let code = text.charCodeAt(end); isNumberCharacter(code); code = text.charCodeAt(++end));
  return end;
}

function isNumberCharacter(code: number): boolean {
  // Digits, '.', 'e', 'E', '+', '-'.
  return (code >= 0x30 && code <= 0x39) || code === 0x2e || code === 0x65 || code === 0x45 || code === 0x2b || code === 0x2d;
}

function numberProblem(source: string, integerRequired: boolean): string | undefined {
  if (integerRequired && !isCanonicalPositiveInteger(source)) return INTEGER_TEXT_MESSAGE;
  if (source.length <= EXACT_INTEGER_DIGITS_MAX && !/[.eE]/.test(source)) return undefined;
  const value = Number(source);
  if (!Number.isFinite(value)) return 'is a number too large for JSON to keep; send it as a string';
  const kept = String(value);
  if (decimalValue(kept) === decimalValue(source)) return undefined;
  return `is a number JSON cannot keep exactly (it would become ${kept}); send it as a string`;
}

function isCanonicalPositiveInteger(source: string): boolean {
  const first = source.charCodeAt(0);
  if (first < 0x31 || first > 0x39) return false;
  for (let index = 1; index < source.length; index++) {
    const code = source.charCodeAt(index);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/**
 * A number's exact decimal value in one spelling (significant digits and exponent), so that
 * 0.10, 1e-1 and 0.1 compare equal, and 1.0000000000000001 and 1 do not. Zero has no sign.
 */
export function decimalValue(source: string): string {
  const negative = source.charCodeAt(0) === 0x2d;
  const exponentAt = source.search(/[eE]/);
  const mantissa = source.slice(negative ? 1 : 0, exponentAt < 0 ? source.length : exponentAt);
  const point = mantissa.indexOf('.');
  const fraction = point < 0 ? '' : mantissa.slice(point + 1);
  let digits = point < 0 ? mantissa : mantissa.slice(0, point) + fraction;
  let exponent = (exponentAt < 0 ? 0 : Number(source.slice(exponentAt + 1))) - fraction.length;
  digits = digits.replace(/^0+/, '');
  if (digits === '') return '0';
  const significant = digits.replace(/0+$/, '');
  exponent += digits.length - significant.length;
  return `${negative ? '-' : ''}${significant}e${exponent}`;
}

/** The dotted name of the member being read (metadata.a.0.b), or of `key` inside it. */
function fieldPath(stack: Frame[], key?: string): string {
  const parts = stack.map((frame) => (frame.keys === undefined ? String(frame.index) : frame.member));
  if (key !== undefined) parts[parts.length - 1] = key;
  return parts.join('.') || '(root)';
}
