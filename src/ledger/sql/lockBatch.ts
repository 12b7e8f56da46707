import type pg from 'pg';
import type { AccountRow } from '../ledgerRows.js';
import { ACCOUNT_COLUMNS, toAccountRow, type RawAccountRow } from './accountRows.js';

/**
 * The one read of a batch, inside its database transaction: locks the batch's accounts in the
 * one global order every writer uses (wallets by id, then settlement accounts by id, so that
 * writers never deadlock and the hot settlement rows stay locked for the shortest time), and
 * reads the stored outcomes of its idempotency keys and which of its external refs are taken.
 * Keys and refs are read as of the statement's start: a writer that stores the same key while
 * this one waits for a lock is caught when this batch stores its outcomes (writeBatch).
 * It marks the transaction as locked, which the write checks.
 */
const LOCK_BATCH_SQL = `
WITH locked AS (
  SELECT ${ACCOUNT_COLUMNS}
  FROM accounts WHERE id = ANY($1::uuid[])
  ORDER BY kind = 'settlement', id
  FOR UPDATE
), stored AS MATERIALIZED (
  -- Found by key alone, the expired dropped after: offered the expiry condition while the table's
  -- statistics are those of an empty one, the planner reads every live key through
  -- idempotency_keys_expiry (a batch's keys all share one expiry).
  SELECT key, fingerprint, status_code, response_body, transaction_id, hold_id, posting_shape, expires_at FROM idempotency_keys
  WHERE key = ANY($2::text[])
), live AS (
  SELECT key, fingerprint, status_code, response_body, transaction_id, hold_id, posting_shape FROM stored WHERE expires_at > $3
), taken AS (
  SELECT external_ref FROM accounts WHERE external_ref = ANY($4::text[])
)
SELECT (SELECT coalesce(json_agg(locked), '[]') FROM locked) AS accounts,
       (SELECT coalesce(json_agg(live), '[]') FROM live) AS outcomes,
       (SELECT coalesce(json_agg(taken.external_ref), '[]') FROM taken) AS taken_refs,
       mark_batch_locked() AS marked`;

/** idempotency_keys.posting_shape of keys stored by builds before holds and reversals. */
const POSTING_SHAPE_BEFORE_HOLDS = 1;

/** An account row as json_agg renders it: timestamps arrive as ISO strings. */
type LockedJson = Omit<RawAccountRow, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string };

/**
 * A response stored under an idempotency key, with the fingerprint of the request that made it:
 * its body, or the id of the transaction (a posting's) or of the hold (a created or voided hold's) the body renders.
 */
export interface StoredOutcome {
  fingerprint: string;
  statusCode: number;
  body: string | null;
  transactionId: string | null;
  holdId: string | null;
  /** A posting stored before transactions had hold and reversal fields, to be replayed without them. */
  shapedBeforeHolds: boolean;
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
  // Unnamed, so planned for the tables as they are on every run: a prepared plan made while a table
  // was small keeps scanning the whole table as it grows. Most batches take one round trip instead
  // (applyBatch), so this planning is rarely on the hot path.
  const result = await client.query<{
    accounts: LockedJson[];
    outcomes: Array<{
      key: string; fingerprint: string; status_code: number; response_body: string | null; transaction_id: string | null; hold_id: string | null;
      posting_shape: number;
    }>;
    taken_refs: string[];
  }>({ text: LOCK_BATCH_SQL, values: [accountIds, keys, now, externalRefs] });
  const row = result.rows[0]!;
  return {
    accounts: new Map(row.accounts.map((raw) => [raw.id, fromJson(raw)])),
    storedOutcomes: new Map(
      row.outcomes.map((raw) => [
        raw.key,
        {
          fingerprint: raw.fingerprint,
          statusCode: raw.status_code,
          body: raw.response_body,
          transactionId: raw.transaction_id,
          holdId: raw.hold_id,
          shapedBeforeHolds: raw.posting_shape === POSTING_SHAPE_BEFORE_HOLDS,
        },
      ]),
    ),
    takenExternalRefs: new Set(row.taken_refs),
  };
}

function fromJson(raw: LockedJson): AccountRow {
  return toAccountRow({ ...raw, created_at: new Date(raw.created_at), updated_at: new Date(raw.updated_at) });
}
