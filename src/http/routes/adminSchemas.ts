import { Type } from 'typebox';
import { Uuid } from '../schemas.js';

// Request shapes of the operator's admin API (/v1/admin), validated like /v1's own.

/** As long as an account's external_ref may be (CreateAccountBody): a longer one names no account. */
const EXTERNAL_REF_LENGTH_MAX = 255;
/** Dead letters listed by one GET /v1/admin/outbox, at most. */
export const DEAD_LETTERS_LISTED_MAX = 500;
export const DEAD_LETTERS_LISTED_DEFAULT = 50;

export const AccountLookupQuery = Type.Object(
  { external_ref: Type.String({ minLength: 1, maxLength: EXTERNAL_REF_LENGTH_MAX }) },
  { additionalProperties: false },
);

export const OutboxQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: DEAD_LETTERS_LISTED_MAX, default: DEAD_LETTERS_LISTED_DEFAULT })) },
  { additionalProperties: false },
);

export const EventIdParams = Type.Object({ event_id: Uuid }, { additionalProperties: false });
