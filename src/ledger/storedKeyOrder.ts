// PostgreSQL's jsonb keeps an object's keys sorted (shorter first, then byte by byte) and gives
// them back in that order. A body rendered again from stored rows (a replay, a GET) therefore
// lists metadata keys in that order, so the first answer lists them in it too: every answer about
// one transaction is the same bytes. Applied where a request becomes an operation (the HTTP
// routes), off the partition's single-writer path.

/** The value with every object's keys in the order jsonb stores them (arrays keep their order). */
export function inStoredKeyOrder<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(inStoredKeyOrder) as T;
  const entries = Object.entries(value).sort(([a], [b]) => compareAsJsonb(a, b));
  // fromEntries defines own properties: a key named "__proto__" stays a key.
  return Object.fromEntries(entries.map(([key, item]) => [key, inStoredKeyOrder(item)])) as T;
}

function compareAsJsonb(a: string, b: string): number {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length - right.length || Buffer.compare(left, right);
}
