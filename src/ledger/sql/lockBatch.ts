import type pg from 'pg';
import type { AccountRow } from '../resources.js';

/**
 * The one read of a batch, inside its database transaction: locks the batch's accounts in the
 * one global order every writer uses (wallets by id, then settlement accounts by id, so that
 * writers never deadlock and the hot settlement rows stay locked for the shortest time), and
 * reads the stored outcomes of its idempotency keys and which of its external refs are taken.
 * Keys and refs are read as of the statement's start: a writer that stores the same key while
 * this one waits for a lock is caught when this batch stores its outcomes (see writeBatch).
 */
const LOCK_BATCH_SQL = `
WITH locked AS (
  SELECT id, kind, currency, balance::text AS balance, status, external_ref, metadata,
         version::text AS version, created_at, updated_at
  FROM accounts WHERE id = ANY($1::uuid[])
  ORDER BY kind = 'settlement', id
  FOR UPDATE
), stored AS (
  SELECT key, fingerprint, status_code, response_body FROM idempotency_keys
  WHERE key = ANY($2::text[]) AND expires_at > $3
), taken AS (
  SELECT external_ref FROM accounts WHERE external_ref = ANY($4::text[])
)
SELECT (SELECT coalesce(json_agg(locked), '[]') FROM locked) AS accounts,
       (SELECT coalesce(json_agg(stored), '[]') FROM stored) AS outcomes,
       (SELECT coalesce(json_agg(taken.external_ref), '[]') FROM taken) AS taken_refs`;

interface LockedJson {
  id: string;
  kind: AccountRow['kind'];
  currency: string;
  balance: string;
  status: string;
  external_ref: string | null;
  metadata: AccountRow['metadata'];
  version: string;
  created_at: string;
  updated_at: string;
}

/** A response stored under an idempotency key, with the fingerprint of the request that made it. */
export interface StoredOutcome {
  fingerprint: string;
  statusCode: number;
  body: string;
}

export interface LockedBatch {
  accounts: Map<string, AccountRow>;
  storedOutcomes: Map<string, StoredOutcome>;
  takenExternalRefs: Set<string>;
}

export async function lockBatch(
  client: pg.PoolClient,
  accountIds: string[],
  keys: string[],
  externalRefs: string[],
  now: Date,
): Promise<LockedBatch> {
  const result = await client.query<{
    accounts: LockedJson[];
    outcomes: Array<{ key: string; fingerprint: string; status_code: number; response_body: string }>;
    taken_refs: string[];
  }>({ name: 'lock_batch', text: LOCK_BATCH_SQL, values: [accountIds, keys, now, externalRefs] });
  const row = result.rows[0]!;
  return {
    accounts: new Map(row.accounts.map((raw) => [raw.id, toAccountRow(raw)])),
    storedOutcomes: new Map(
      row.outcomes.map((raw) => [raw.key, { fingerprint: raw.fingerprint, statusCode: raw.status_code, body: raw.response_body }]),
    ),
    takenExternalRefs: new Set(row.taken_refs),
  };
}

function toAccountRow(raw: LockedJson): AccountRow {
  return {
    ...raw,
    balance: BigInt(raw.balance),
    version: BigInt(raw.version),
    created_at: new Date(raw.created_at),
    updated_at: new Date(raw.updated_at),
  };
}
