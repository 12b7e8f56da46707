import type { FastifyRequest } from 'fastify';
import { ProblemError } from '../errors.js';
import { accountETag } from '../ledger/accountETag.js';
import type { AccountRow } from '../ledger/ledgerRows.js';

// The If-Match precondition of a PATCH (RFC 9110 13.1.1) and the ETag every account answer carries.
// The ledger compares the tags with the account under its row lock (planAccountChanges.ts).

/** An entity tag as RFC 9110 spells it: optionally weak, quoted, without quotes or controls inside. */
const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7E\x80-\xFF]*"$/;
const IF_MATCH_TAGS_MAX = 16;

/** The tags If-Match names, or '*'. A missing header is 428; a malformed one 400 naming it. */
export function readIfMatch(request: FastifyRequest): string[] | '*' {
  const header = request.headers['if-match'];
  if (header === undefined) {
    throw ProblemError.of('precondition_required', "Send If-Match with the account's ETag as last read (GET /v1/accounts/{id})");
  }
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return '*';
  const tags = value.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
  if (tags.length === 0 || tags.length > IF_MATCH_TAGS_MAX || !tags.every((tag) => ENTITY_TAG.test(tag))) {
    throw ProblemError.of('validation_error', `If-Match must be * or 1 to ${IF_MATCH_TAGS_MAX} quoted entity tags`, {
      errors: [{ in: 'header', field: 'If-Match', message: `must be * or 1 to ${IF_MATCH_TAGS_MAX} quoted entity tags` }],
    });
  }
  // Weak tags never match under the strong comparison If-Match uses.
  return tags.filter((tag) => !tag.startsWith('W/'));
}

/** The ETag of an account answer's body (an account resource, as rendered and maybe stored). */
export function etagOfAccountBody(body: string): string {
  const account = JSON.parse(body) as { id: string; version: number; pending_debits: string; pending_credits: string; updated_at: string };
  return accountETag({
    id: account.id,
    version: BigInt(account.version),
    pending_debits: BigInt(account.pending_debits),
    pending_credits: BigInt(account.pending_credits),
    updated_at: new Date(account.updated_at),
  });
}

export function etagOfAccount(account: AccountRow): string {
  return accountETag(account);
}
