// PostgreSQL array literals for values whose text never needs quoting: UUIDs, integers and ISO 8601
// times (toISOString). pg turns a JavaScript array into the same literal, but quotes and escapes
// every element with two regular expressions; a batch's write sends some forty such elements a
// transfer. A string parameter is sent as it is, and the statement's cast (`$1::uuid[]`) parses it.

/** `{a,b,NULL}`: each value's own text, null as NULL. Only for UUIDs, integers (bigint or number) and ISO 8601 times. */
export function unquotedArray(values: ReadonlyArray<string | bigint | number | null>): string {
  let literal = '{';
  for (let index = 0; index < values.length; index++) {
    if (index > 0) literal += ',';
    const value = values[index];
    literal += value === null ? 'NULL' : String(value);
  }
  return `${literal}}`;
}
