import { Type, type Static } from 'typebox';
import { AMOUNT_PATTERN } from '../money.js';

// Request and response shapes. Requests are validated against these (no coercion of bodies);
// responses are documented by them in the OpenAPI document.

export const METADATA_BYTES_MAX = 4096;
/** Levels of objects and arrays metadata may hold (metadata itself is the first). */
export const METADATA_DEPTH_MAX = 32;
const DESCRIPTION_LENGTH_MAX = 1000;
const EXTERNAL_REF_LENGTH_MAX = 255;

// Only the hyphenated form PostgreSQL reads: ajv's uuid format also admits a `urn:uuid:` prefix.
export const Uuid = Type.String({
  format: 'uuid',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  description: 'UUID',
});

const CURRENCY_PATTERN = '^[A-Z0-9]{3,10}$';
const CURRENCY_DESCRIPTION = '3 to 10 upper-case letters or digits, e.g. USD, EUR, BTC, USDC';

export const Currency = Type.String({ pattern: CURRENCY_PATTERN, description: CURRENCY_DESCRIPTION, examples: ['USD'] });

export const AmountInput = Type.Union(
  [
    Type.String({ pattern: AMOUNT_PATTERN, description: 'Decimal digits, no sign, no leading zero' }),
    Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'Plain digits only: a fraction or exponent (1.0, 1e3) is refused, never rounded',
    }),
  ],
  {
    description:
      'Amount in minor units, 1 .. 10^38-1: a canonical decimal string ("1050" = 10.50 USD), or a JSON number written as plain digits up to 2^53-1',
    'x-error-message': 'must be a decimal string of minor units without sign or leading zero (e.g. "1050"), or a positive safe integer written as plain digits',
  },
);

export const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: `Free-form JSON object, at most ${METADATA_BYTES_MAX} bytes serialized and ${METADATA_DEPTH_MAX} levels deep`,
});

const Description = Type.String({ maxLength: DESCRIPTION_LENGTH_MAX });

export const CreateAccountBody = Type.Object(
  {
    currency: Currency,
    external_ref: Type.Optional(Type.String({ minLength: 1, maxLength: EXTERNAL_REF_LENGTH_MAX })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const ACCOUNT_STATUSES = ['active', 'frozen', 'closed'] as const;
export const AccountStatus = Type.Union(ACCOUNT_STATUSES.map((status) => Type.Literal(status)), {
  description: 'active; frozen: no money leaves it (credits, hold voids, expiries and captures of earlier holds still apply); closed: nothing posts to it, ever',
});

export const DepositBody = Type.Object(
  {
    account_id: Uuid,
    amount: AmountInput,
    currency: Type.Optional(Currency),
    description: Type.Optional(Description),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const WithdrawBody = DepositBody;

export const TransferBody = Type.Object(
  {
    source_account_id: Uuid,
    destination_account_id: Uuid,
    amount: AmountInput,
    currency: Type.Optional(Currency),
    description: Type.Optional(Description),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const CreateHoldBody = Type.Object(
  {
    source_account_id: Uuid,
    // Without it, the hold is for a withdrawal: captured, it pays the currency's settlement account.
    destination_account_id: Type.Optional(Uuid),
    amount: AmountInput,
    currency: Type.Optional(Currency),
    expires_at: Type.Optional(Type.String({
      format: 'date-time',
      description: 'When the hold expires unless captured or voided: in the future, at most HOLD_TTL_MAX_HOURS away (default: HOLD_TTL_DEFAULT_HOURS from now)',
    })),
    description: Type.Optional(Description),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const CaptureHoldBody = Type.Object(
  { amount: Type.Optional(AmountInput) },
  { additionalProperties: false, description: 'amount: at most the hold\'s (default: all of it), the rest is released. The body may be omitted.' },
);

export const VoidHoldBody = Type.Object({}, { additionalProperties: false, description: 'The body may be omitted' });

export const ReverseBody = Type.Object(
  {
    amount: Type.Optional(AmountInput),
    description: Type.Optional(Description),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, description: 'amount: at most what is left to reverse (default: all of it). The body may be omitted.' },
);

// OpenAPI 3.0 has no `examples` in a schema, and the document's conversion rewrites it only at a
// body's or response's first level: a currency inside an array item goes without.
const ItemCurrency = Type.String({ pattern: CURRENCY_PATTERN, description: CURRENCY_DESCRIPTION });

/** Legs a multi-leg transaction may have. */
export const LEGS_MAX = 100;
/** How a leg names a currency's settlement account without its id: `settlement:USD`. */
export const SETTLEMENT_NAME_PREFIX = 'settlement:';

const LegAccount = Type.String({
  pattern: '^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|settlement:[A-Z0-9]{3,10})$',
  description: "A wallet's id, or a currency's settlement account: its id, or settlement:<CURRENCY> (e.g. settlement:USD)",
});

export const LegBody = Type.Object(
  {
    source_account_id: LegAccount,
    destination_account_id: LegAccount,
    amount: AmountInput,
    currency: Type.Optional(ItemCurrency),
  },
  { additionalProperties: false },
);

export const MultiLegBody = Type.Object(
  {
    legs: Type.Array(LegBody, {
      minItems: 1,
      maxItems: LEGS_MAX,
      description: `1 to ${LEGS_MAX} legs, applied in order, all or none; balances are checked once all are applied`,
    }),
    description: Type.Optional(Description),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const HOLD_STATUSES = ['pending', 'captured', 'voided', 'expired'] as const;
const HoldStatus = Type.Union(HOLD_STATUSES.map((status) => Type.Literal(status)));

export const HoldsQuery = Type.Object(
  {
    status: Type.Optional(HoldStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const EntriesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

export type CreateAccountBody = Static<typeof CreateAccountBody>;
export type DepositBody = Static<typeof DepositBody>;
export type TransferBody = Static<typeof TransferBody>;
export type EntriesQuery = Static<typeof EntriesQuery>;
export type CreateHoldBody = Static<typeof CreateHoldBody>;
export type ReverseBody = Static<typeof ReverseBody>;
export type MultiLegBody = Static<typeof MultiLegBody>;

const Money = Type.String({ pattern: '^-?[0-9]+$', description: 'Integer amount of minor units, as a string' });
export const Timestamp = Type.String({ format: 'date-time' });

export const Account = Type.Object({
  id: Uuid,
  kind: Type.Union([Type.Literal('user'), Type.Literal('settlement')]),
  currency: Currency,
  balance: Money,
  available_balance: { ...Money, description: 'balance + overdraft_limit - pending_debits: what the account may spend' },
  pending_debits: { ...Money, description: 'The sum of the pending holds the account is the source of' },
  pending_credits: { ...Money, description: 'The sum of the pending holds the account is the destination of' },
  status: AccountStatus,
  overdraft_limit: { ...Money, description: 'How far below zero the wallet may go ("0": not at all)' },
  external_ref: Type.Union([Type.String(), Type.Null()]),
  metadata: Metadata,
  version: Type.Integer({
    description: "Counts the account's changes: each entry (whose sequence it is) and each settings change (whose history version it is); 0 when none",
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

/** An account answer with its ETag header (documented as a response header, @fastify/swagger's way). */
export const AccountWithETag = {
  ...Account,
  headers: {
    ETag: Type.String({ description: "The account's current entity tag: send it as If-Match to PATCH the account" }),
  },
};

export const Entry = Type.Object({
  id: Uuid,
  transaction_id: Uuid,
  account_id: Uuid,
  direction: Type.Union([Type.Literal('debit'), Type.Literal('credit')]),
  amount: Money,
  balance_after: Money,
  sequence: Type.Integer({ minimum: 1 }),
  created_at: Timestamp,
});

export const Transaction = Type.Object({
  id: Uuid,
  type: Type.Union([Type.Literal('deposit'), Type.Literal('withdrawal'), Type.Literal('transfer'), Type.Literal('reversal')]),
  status: Type.Literal('posted'),
  amount: Money,
  currency: Currency,
  source_account_id: Uuid,
  destination_account_id: Uuid,
  description: Type.Union([Type.String(), Type.Null()]),
  metadata: Metadata,
  created_at: Timestamp,
  reversed_amount: { ...Money, description: 'The sum of its reversals ("0" when none; a posting\'s own answer and its replays say "0")' },
  hold_id: Type.Union([Uuid, Type.Null()], { description: 'The hold a capture settled; null otherwise' }),
  reverses_transaction_id: Type.Union([Uuid, Type.Null()], { description: 'The transaction a reversal moves back; null otherwise' }),
  entries: Type.Array(Entry),
});

export const Leg = Type.Object({
  source_account_id: Uuid,
  destination_account_id: Uuid,
  amount: Money,
  currency: ItemCurrency,
});

export const MultiLegTransaction = Type.Object({
  id: Uuid,
  type: Type.Literal('multi_leg'),
  status: Type.Literal('posted'),
  description: Type.Union([Type.String(), Type.Null()]),
  metadata: Metadata,
  created_at: Timestamp,
  legs: Type.Array(Leg, { description: 'In the order posted' }),
  entries: Type.Array(Entry, { description: 'A debit and a credit per leg, in leg order' }),
});

/** What GET /v1/transactions/{id} answers: a transaction between two accounts, or a multi-leg one. */
export const AnyTransaction = Type.Union([Type.Object({ ...Transaction.properties, currency: ItemCurrency }), MultiLegTransaction]);

export const Hold = Type.Object({
  id: Uuid,
  status: HoldStatus,
  source_account_id: Uuid,
  destination_account_id: Uuid,
  amount: Money,
  captured_amount: Money,
  currency: Currency,
  expires_at: Timestamp,
  capture_transaction_id: Type.Union([Uuid, Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  metadata: Metadata,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const HoldPage = Type.Object({
  data: Type.Array(Hold),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const EntryPage = Type.Object({
  data: Type.Array(Entry),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(
      Type.Array(Type.Object({ in: Type.String(), field: Type.String(), message: Type.String() })),
    ),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json)' },
);

// The Idempotency-Key header as the OpenAPI document shows it. The handlers read and check it
// themselves (src/http/idempotency.ts), so that a missing key is its own problem code rather than
// a generic header validation error; these schemas only document it (see documentedHeaders.ts).
const IDEMPOTENCY_KEY_LENGTH_MAX = 255;
const IdempotencyKey = Type.String({
  minLength: 1,
  maxLength: IDEMPOTENCY_KEY_LENGTH_MAX,
  pattern: '^[\\x20-\\x7E]+$',
  description: `1-${IDEMPOTENCY_KEY_LENGTH_MAX} printable ASCII characters, unique per intended write; a repeat replays the first answer`,
});

export const RequiredIdempotencyKeyHeader = Type.Object({ 'Idempotency-Key': IdempotencyKey });

export const OptionalIdempotencyKeyHeader = Type.Object({ 'Idempotency-Key': Type.Optional(IdempotencyKey) });

/** A PATCH's headers as documented; the handler reads If-Match itself (a missing one is 428 precondition_required). */
export const UpdateAccountHeaders = Type.Object({
  'If-Match': Type.String({ description: "The account's ETag as last read (or a list of them, or *)" }),
  'Idempotency-Key': Type.Optional(IdempotencyKey),
});

export const Liveness = Type.Object({ status: Type.Literal('ok') });

export const Readiness = Type.Object({
  status: Type.Literal('ready'),
  migration: Type.String({ description: 'The latest migration, which the database has applied' }),
});
