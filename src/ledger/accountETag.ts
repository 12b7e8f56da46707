import { hash } from 'node:crypto';
import type { AccountRow } from './ledgerRows.js';

// An account's entity tag: it changes with every change the account resource shows. A posting or
// a settings change bumps the version; a hold changes the pending sums and updated_at without one,
// so those are in it too. Opaque to callers (a hash), strong, and computed alike by the reads and
// by the planner, which compares it under the account's row lock (planAccountChanges.ts).

export type AccountRevision = Pick<AccountRow, 'id' | 'version' | 'pending_debits' | 'pending_credits' | 'updated_at'>;

/** The quoted ETag header value of an account as it is now. */
export function accountETag(account: AccountRevision): string {
  const revision = `${account.id}:${account.version}:${account.pending_debits}:${account.pending_credits}:${account.updated_at.getTime()}`;
  return `"${hash('sha256', revision, 'base64url').slice(0, ETAG_HASH_CHARS)}"`;
}

/** 128 bits of the hash: plenty to tell an account's revisions apart. */
const ETAG_HASH_CHARS = 22;
