import type { FieldError } from '../errors.js';

// What JSON.parse hides in a body's source text: a key given twice (JSON.parse keeps the last
// value, another parser may keep the first, so a money field would mean two things) and a number
// whose text JSON cannot keep exactly (1e400 becomes null when stored, a 30-digit integer is
// rounded). Text that JSON.parse has already accepted is read once quickly, and only when that
// finds something a second time, carefully, to name the fields; neither pass recurses, so no
// nesting depth can overflow the stack.

/** Listing every error of a hostile body (a megabyte of repeated keys) would only make a huge answer. */
export const SOURCE_ERRORS_LISTED_MAX = 20;
/** Up to this many keys an object's keys are compared one by one; beyond, a Set keeps it linear. */
const KEYS_COMPARED_DIRECTLY_MAX = 16;
/**
 * A decimal with at most 15 significant digits survives the trip to a double and back (DBL_DIG)
 * anywhere in the double's normal range, so its text needs no closer look while it stays far
 * inside that range: a mantissa of at most 24 characters lies between 1e-23 and 1e24, and an
 * exponent of at most 280 keeps the value between 1e-303 and 1e304.
 */
const EXACT_DIGITS_MAX = 15;
const EXACT_MANTISSA_LENGTH_MAX = 24;
const EXACT_EXPONENT_MAX = 280;

/** A member of an object in a top-level array (the body, the array, the object). */
const INTEGER_FIELD_IN_ITEM_DEPTH = 3;

const DUPLICATE_KEY_MESSAGE = 'appears more than once in the same object';
const INTEGER_TEXT_MESSAGE = 'as a JSON number must be written as plain digits (no fraction, exponent, sign or leading zero)';

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
const COLON = 0x3a;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;

/**
 * Fields named in a body's JSON source that JSON.parse would read differently than the text says.
 * `integerFields` are members whose numbers must be canonical integers in the text itself: a top-level
 * member by its name (`amount`), a member of the objects of a top-level array as `legs.*.amount`.
 * `text` must be JSON that JSON.parse accepts, and `parsed` what it returned.
 */
export function findInexactJson(text: string, parsed: unknown, integerFields: ReadonlySet<string>): FieldError[] {
  // Nearly every body passes the quick look, which names nothing; the careful pass names the fields.
  if (looksExact(text, parsed)) return [];
  return listInexactJson(text, integerFields);
}

/**
 * True when no key is repeated (the text has as many keys as the parsed value kept) and every
 * number is surely exact, and every number at the top level a positive integer. Allocates nothing
 * per token.
 */
function looksExact(text: string, parsed: unknown): boolean {
  let keysInText = 0;
  let depth = 0;
  for (let position = 0; position < text.length; ) {
    const code = text.charCodeAt(position);
    if (code === QUOTE) {
      position = closingQuote(text, position + 1) + 1;
      while (isWhitespace(text.charCodeAt(position))) position += 1;
      if (text.charCodeAt(position) === COLON) keysInText += 1;
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      depth += 1;
      position += 1;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      depth -= 1;
      position += 1;
    } else if (code === MINUS || (code >= DIGIT_0 && code <= DIGIT_9)) {
      const end = numberEnd(text, position);
      // Integer fields are top-level members or members of an array's objects (legs.*.amount).
      const mayBeIntegerField = depth === 1 || depth === INTEGER_FIELD_IN_ITEM_DEPTH;
      if (!isSurelyExact(text, position, end) || (mayBeIntegerField && !isCanonicalPositiveInteger(text, position, end))) return false;
      position = end;
    } else {
      position += 1;
    }
  }
  return keysInText === countKeys(parsed);
}

/** Keys of every object in a parsed value, walked with an explicit stack (for...in: no array per object). */
function countKeys(parsed: unknown): number {
  let keys = 0;
  const pending: object[] = [];
  if (parsed !== null && typeof parsed === 'object') pending.push(parsed);
  for (let value = pending.pop(); value !== undefined; value = pending.pop()) {
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && typeof item === 'object') pending.push(item);
      continue;
    }
    for (const key in value) {
      keys += 1;
      const item = (value as Record<string, unknown>)[key];
      if (item !== null && typeof item === 'object') pending.push(item);
    }
  }
  return keys;
}

/** The careful pass: every offending field with its dotted path. */
function listInexactJson(text: string, integerFields: ReadonlySet<string>): FieldError[] {
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
    } else if (code === MINUS || (code >= DIGIT_0 && code <= DIGIT_9)) {
      const end = numberEnd(text, position);
      const message = numberProblem(text, position, end, integerFields.has(fieldPattern(stack)));
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
  while (isNumberCharacter(text.charCodeAt(end))) end += 1;
  return end;
}

function isNumberCharacter(code: number): boolean {
  // Digits, '.', 'e', 'E', '+', '-'.
  return (code >= DIGIT_0 && code <= DIGIT_9) || code === 0x2e || code === 0x65 || code === 0x45 || code === 0x2b || code === MINUS;
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function numberProblem(text: string, start: number, end: number, integerRequired: boolean): string | undefined {
  if (integerRequired && !isCanonicalPositiveInteger(text, start, end)) return INTEGER_TEXT_MESSAGE;
  if (isSurelyExact(text, start, end)) return undefined;
  const source = text.slice(start, end);
  const value = Number(source);
  if (!Number.isFinite(value)) return 'is a number too large for JSON to keep; send it as a string';
  const kept = String(value);
  if (decimalValue(kept) === decimalValue(source)) return undefined;
  return `is a number JSON cannot keep exactly (it would become ${kept}); send it as a string`;
}

/** At most EXACT_DIGITS_MAX significant digits, a short mantissa and a small exponent. */
function isSurelyExact(text: string, start: number, end: number): boolean {
  let digits = 0;
  let index = start;
  for (; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x65 || code === 0x45) break;
    // Leading zeros (0.000123) are not significant; every digit after the first non-zero one is.
    if ((code >= DIGIT_1 && code <= DIGIT_9) || (code === DIGIT_0 && digits > 0)) digits += 1;
  }
  if (digits > EXACT_DIGITS_MAX || index - start > EXACT_MANTISSA_LENGTH_MAX) return false;
  let exponent = 0;
  for (index += 1; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code >= DIGIT_0 && code <= DIGIT_9) exponent = exponent * 10 + (code - DIGIT_0);
    if (exponent > EXACT_EXPONENT_MAX) return false;
  }
  return true;
}

function isCanonicalPositiveInteger(text: string, start: number, end: number): boolean {
  const first = text.charCodeAt(start);
  if (first < DIGIT_1 || first > DIGIT_9) return false;
  for (let index = start + 1; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code < DIGIT_0 || code > DIGIT_9) return false;
  }
  return true;
}

/**
 * A number's exact decimal value in one spelling (significant digits and exponent), so that
 * 0.10, 1e-1 and 0.1 compare equal, and 1.0000000000000001 and 1 do not. Zero has no sign.
 */
function decimalValue(source: string): string {
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
/** The member being read, with array indices as `*`: `amount`, `legs.*.amount`. */
function fieldPattern(stack: Frame[]): string {
  return stack.map((frame) => (frame.keys === undefined ? '*' : frame.member)).join('.');
}

function fieldPath(stack: Frame[], key?: string): string {
  const parts = stack.map((frame) => (frame.keys === undefined ? String(frame.index) : frame.member));
  if (key !== undefined) parts[parts.length - 1] = key;
  return parts.join('.') || '(root)';
}
