import { randomInt } from 'node:crypto';
import { accountId } from './accounts.js';
import { ACCOUNT_SEGMENTS, CHANNELS } from './readLedger.js';

// The reads the read bench sends: one of each query the balance history and list endpoints serve,
// drawn over the loaded history (readLedger.ts), so that each read meets rows, not an empty result.

export const QUERY_KINDS = [
  'balance_at',
  'entries_window',
  'accounts_by_metadata',
  'accounts_by_currency_status',
  'transactions_by_account',
  'transactions_by_order',
  'transactions_window_channel',
  'transactions_by_type_window',
] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];

/** What the reads are drawn over: the loaded accounts and the span of their history. */
export interface ReadSpace {
  accounts: number;
  transactions: number;
  historyStartMs: number;
  historyEndMs: number;
}

const HOUR_MS = 60 * 60 * 1000;
/** An account has ~200 entries over 30 days: three days hold about 20. */
const ENTRY_WINDOW_MS = 72 * HOUR_MS;
/** An hour of a 1,000,000-transaction month holds ~1,400 transactions, a third of them per channel. */
const TRANSACTION_WINDOW_MS = HOUR_MS;
const PAGE = 'limit=50';

export function queryPath(kind: QueryKind, space: ReadSpace): string {
  const account = accountId(randomInt(1, space.accounts + 1));
  const instant = (widthMs = 0) => randomInt(space.historyStartMs, Math.max(space.historyStartMs + 1, space.historyEndMs - widthMs));
  const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
  switch (kind) {
    case 'balance_at':
      return `/v1/accounts/${account}/balance?at=${iso(instant())}`;
    case 'entries_window': {
      const from = instant(ENTRY_WINDOW_MS);
      return `/v1/accounts/${account}/entries?from=${iso(from)}&to=${iso(from + ENTRY_WINDOW_MS)}&${PAGE}`;
    }
    case 'accounts_by_metadata':
      return `/v1/accounts?metadata[segment]=s${randomInt(0, ACCOUNT_SEGMENTS)}&${PAGE}`;
    case 'accounts_by_currency_status':
      return `/v1/accounts?currency=USD&status=active&${PAGE}`;
    case 'transactions_by_account':
      return `/v1/transactions?account_id=${account}&${PAGE}`;
    case 'transactions_by_order':
      return `/v1/transactions?metadata[order]=o${randomInt(1, space.transactions + 1)}`;
    case 'transactions_window_channel': {
      const from = instant(TRANSACTION_WINDOW_MS);
      return `/v1/transactions?from=${iso(from)}&to=${iso(from + TRANSACTION_WINDOW_MS)}&metadata[channel]=${CHANNELS[randomInt(0, CHANNELS.length)]}&${PAGE}`;
    }
    case 'transactions_by_type_window': {
      const from = instant(TRANSACTION_WINDOW_MS);
      return `/v1/transactions?type=transfer&from=${iso(from)}&to=${iso(from + TRANSACTION_WINDOW_MS)}&${PAGE}`;
    }
  }
}
