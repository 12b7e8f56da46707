// A position in PostgreSQL's write-ahead log (an LSN), as PostgreSQL prints it (`0/16B3748`: two
// hexadecimal halves of a 64-bit byte offset) and as a bigint, to compare two of them.

export type WalPosition = bigint;

const WAL_POSITION_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** The position `text` names, or undefined when it is not an LSN in PostgreSQL's text form. */
export function parseWalPosition(text: string): WalPosition | undefined {
  const match = WAL_POSITION_PATTERN.exec(text);
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** PostgreSQL's own spelling of a position (upper-case halves without leading zeros). */
export function formatWalPosition(position: WalPosition): string {
  const high = position >> 32n;
  const low = position & 0xffffffffn;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

/** The position a query answered as `pg_lsn` text; an answer that is not one breaks an invariant. */
export function walPositionOf(text: string): WalPosition {
  const position = parseWalPosition(text);
  if (position === undefined) throw new Error(`invariant: PostgreSQL answered ${JSON.stringify(text)} for a WAL position`);
  return position;
}
