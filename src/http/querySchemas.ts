import { Type } from 'typebox';
import { Account, Currency, Transaction, Uuid } from './schemas.js';

// Query strings of the read side: balance at a time, entry time windows, and the account and
// ledger transaction lists. Query strings are text: Fastify's default parser (fast-querystring)
// gives flat keys, a repeated key as an array (refused by these scalar types), and no nesting, so
// `metadata[key]=value` arrives as the key "metadata[key]": it is admitted by METADATA_FILTER_KEY
// and read by metadataFilters.ts. Any other unknown parameter is a 400 naming it.

const PAGE_SIZE_MAX = 500;
const PAGE_SIZE_DEFAULT = 50;
const CURSOR_LENGTH_MAX = 300;
const TIMESTAMP_LENGTH_MAX = 64;
const EXTERNAL_REF_LENGTH_MAX = 255;
export const METADATA_FILTERS_MAX = 10;
const METADATA_FILTER_KEY_LENGTH_MAX = 100;
const METADATA_FILTER_VALUE_LENGTH_MAX = 1000;

/** `metadata[key]`, key 1-100 characters without brackets. */
export const METADATA_FILTER_KEY = new RegExp(`^metadata\\[([^\\[\\]]{1,${METADATA_FILTER_KEY_LENGTH_MAX}})\\]$`);

export const ACCOUNT_STATUSES = ['active', 'frozen', 'closed'] as const;
export const TRANSACTION_TYPES = ['deposit', 'withdrawal', 'transfer', 'reversal', 'multi_leg'] as const;

// RFC 3339 (ajv-formats' date-time: an offset or Z is required). Year 0000 is RFC 3339 but no year
// PostgreSQL knows; every other instant RFC 3339 can write fits a timestamptz.
const INSTANT_DESCRIPTION = 'RFC 3339 date-time with an offset, e.g. 2026-12-02T08:30:00Z (read to the microsecond)';

function instant(meaning: string) {
  return Type.String({ format: 'date-time', pattern: '^(?!0000)', maxLength: TIMESTAMP_LENGTH_MAX, description: `${meaning} ${INSTANT_DESCRIPTION}` });
}

const Limit = Type.Integer({ minimum: 1, maximum: PAGE_SIZE_MAX, default: PAGE_SIZE_DEFAULT });
const Cursor = Type.String({ minLength: 1, maxLength: CURSOR_LENGTH_MAX, description: 'next_cursor of the previous page, with the same filters' });

const metadataFilters = {
  patternProperties: {
    [METADATA_FILTER_KEY.source]: Type.String({ maxLength: METADATA_FILTER_VALUE_LENGTH_MAX }),
  },
};

const METADATA_DESCRIPTION = `metadata[key]=value (up to ${METADATA_FILTERS_MAX}, combined with AND) keeps rows whose metadata holds key with exactly this string value.`;

export const BalanceAtQuery = Type.Object(
  { at: instant('The instant: the balance after the account\'s last entry at or before it.') },
  { additionalProperties: false },
);

export const BalanceAt = Type.Object({
  balance: Type.String({ pattern: '^-?[0-9]+$', description: 'Minor units, as a string; "0" before the first entry' }),
  sequence: Type.Integer({ minimum: 0, description: 'Sequence of that entry; 0 before the first entry' }),
  at: Type.String({ description: 'The instant asked about, as sent' }),
});

export const EntriesWindowQuery = Type.Object(
  {
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    from: Type.Optional(instant('Entries created at or after this instant (inclusive).')),
    to: Type.Optional(instant('Entries created before this instant (exclusive).')),
  },
  { additionalProperties: false },
);

export const AccountsQuery = Type.Object(
  {
    currency: Type.Optional(Currency),
    status: Type.Optional(Type.Union(ACCOUNT_STATUSES.map((status) => Type.Literal(status)))),
    external_ref: Type.Optional(Type.String({ minLength: 1, maxLength: EXTERNAL_REF_LENGTH_MAX })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false, ...metadataFilters, description: METADATA_DESCRIPTION },
);

export const TransactionsQuery = Type.Object(
  {
    account_id: Type.Optional({ ...Uuid, description: 'The account on either side (source or destination)' }),
    type: Type.Optional(Type.Union(TRANSACTION_TYPES.map((type) => Type.Literal(type)))),
    from: Type.Optional(instant('Transactions created at or after this instant (inclusive).')),
    to: Type.Optional(instant('Transactions created before this instant (exclusive).')),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false, ...metadataFilters, description: METADATA_DESCRIPTION },
);

export const AccountPage = Type.Object({
  data: Type.Array(Account),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const TransactionPage = Type.Object({
  data: Type.Array(Transaction),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});
