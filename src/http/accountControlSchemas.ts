import { Type, type Static } from 'typebox';
import { LIMIT_PATTERN } from '../money.js';
import { AccountStatus, Metadata, Timestamp, Uuid } from './schemas.js';

// The shapes of account controls: a PATCH's body and an account's history of settings changes.

/** A string only, as amounts are answered: a JSON number's text (1.0, 0) would need rules of its own. */
export const OverdraftLimitInput = Type.String({
  pattern: LIMIT_PATTERN,
  description: 'How far below zero the wallet may go, in minor units, as a decimal string: "0" (none) .. 10^38-1',
  'x-error-message': 'must be a decimal string of minor units without sign or leading zero (e.g. "5000" or "0")',
});

export const UpdateAccountBody = Type.Object(
  {
    status: Type.Optional(AccountStatus),
    overdraft_limit: Type.Optional(OverdraftLimitInput),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, description: 'Only the fields given change; metadata is replaced as a whole' },
);
export type UpdateAccountBody = Static<typeof UpdateAccountBody>;

export const AccountHistoryItem = Type.Object({
  account_id: Uuid,
  version: Type.Integer({ minimum: 1, description: 'The account version the change made' }),
  request_id: Type.String({ description: 'The X-Request-Id of the PATCH that made it' }),
  changes: Type.Record(Type.String(), Type.Object({ from: Type.Unknown(), to: Type.Unknown() }), {
    description: 'Each changed field (status, overdraft_limit, metadata) with its value before and after',
  }),
  created_at: Timestamp,
});

export const AccountHistoryPage = Type.Object({
  data: Type.Array(AccountHistoryItem),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

