import type pg from 'pg';
import { backoffDelayMs, type BackoffPolicy } from '../backoff.js';
import { inDbTransaction } from '../db/pool.js';
import { withBodies } from './eventBodies.js';
import { toMessage } from './message.js';
import type { PublishResult } from './publisher.js';
import { claimDueEvents } from './sql/claimDueEvents.js';
import { markPublished } from './sql/markPublished.js';
import { moveToDeadLetter, type FinalFailure } from './sql/moveToDeadLetter.js';
import type { OutboxRow } from './sql/outboxRow.js';
import { recordFailure, type PublishFailure } from './sql/recordFailure.js';

// One claim-publish-settle cycle, in one database transaction:
//   BEGIN; claim due rows (row locks); publish them and wait for confirms; mark the confirmed
//   published, record the failures (or dead-letter them); COMMIT.
// The row locks are the claim. They last exactly as long as the publishing, and a relay that dies
// takes its locks with it (its connection closes, the transaction aborts), so its rows are due again
// at once for any other relay. A relay that hangs instead of dying loses them after
// idle_in_transaction_session_timeout. Either way an event confirmed but not yet marked is
// published again later: delivery is at-least-once, and consumers de-duplicate by event id.

/** Added to the publish timeout: the time a healthy relay may spend between statements. */
const CLAIM_GRACE_MS = 5_000;

export interface DrainSettings {
  batchSize: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  publishTimeoutMs: number;
  secretKey: string | undefined;
}

export interface BatchPublisher {
  publishBatch(messages: ReturnType<typeof toMessage>[]): Promise<PublishResult[]>;
}

/** What one cycle did, by event id. */
export interface BatchOutcome {
  claimed: number;
  published: string[];
  retried: string[];
  deadLettered: string[];
}

export async function drainBatch(pool: pg.Pool, publisher: BatchPublisher, settings: DrainSettings): Promise<BatchOutcome> {
  return inDbTransaction(pool, async (client) => {
    await holdClaimsAtMost(client, settings.publishTimeoutMs + CLAIM_GRACE_MS);
    const rows = await withBodies(client, await claimDueEvents(client, settings.batchSize));
    if (rows.length === 0) return { claimed: 0, published: [], retried: [], deadLettered: [] };
    const results = await publisher.publishBatch(rows.map((row) => toMessage(row, settings.secretKey)));
    const settled = settle(rows, results, settings);
    await markPublished(client, settled.published.map((row) => row.id));
    await recordFailure(client, settled.retries);
    await moveToDeadLetter(client, settled.deadLetters);
    return {
      claimed: rows.length,
      published: settled.published.map((row) => row.eventId),
      retried: settled.retries.map((failure) => failure.eventId),
      deadLettered: settled.deadLetters.map((failure) => failure.eventId),
    };
  });
}

/** A relay that stops between statements (frozen, partitioned) has its claims released by the server. */
async function holdClaimsAtMost(client: pg.PoolClient, timeoutMs: number): Promise<void> {
  await client.query({
    name: 'outbox_hold_claims_at_most',
    text: `SELECT set_config('idle_in_transaction_session_timeout', $1, true)`,
    values: [String(timeoutMs)],
  });
}

interface Settled {
  published: OutboxRow[];
  retries: Array<PublishFailure & { eventId: string }>;
  deadLetters: Array<FinalFailure & { eventId: string }>;
}

/** Sorts each row by its publish result: confirmed, to retry later, or out of attempts. */
export function settle(rows: OutboxRow[], results: PublishResult[], settings: Pick<DrainSettings, 'maxAttempts' | 'backoff'>): Settled {
  if (results.length !== rows.length) throw new Error(`publisher returned ${results.length} results for ${rows.length} messages`);
  const settled: Settled = { published: [], retries: [], deadLetters: [] };
  rows.forEach((row, index) => {
    const result = results[index]!;
    if (result.ok) {
      settled.published.push(row);
      return;
    }
    const attempts = row.attempts + 1;
    if (attempts >= settings.maxAttempts) {
      settled.deadLetters.push({ id: row.id, eventId: row.eventId, error: result.error });
    } else {
      settled.retries.push({ id: row.id, eventId: row.eventId, error: result.error, retryDelayMs: backoffDelayMs(attempts, settings.backoff) });
    }
  });
  return settled;
}
