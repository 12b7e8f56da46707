// Proves that when one of two relays is SIGKILLed mid-batch (holding claimed rows it has not marked
// published), the other relay publishes them: every acknowledged transaction's event is delivered
// (duplicates allowed, losses not), with the bank's invariants intact.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type pg from 'pg';
import { brokerUrl, createTestDatabase, runAdmin } from '../support/database.js';
import { atShareOfLoad, caseTimeoutMs, runBankCase, type FaultContext } from './bankHarness.js';
import { delay } from './bankWorkload.js';

const RELAY_APPLICATION_NAME = 'wallet-ledger-outbox-relay';
const FREEZE_TRIES_MAX = 200;
const FROZEN_MS = 30;

test('a relay SIGKILLed mid-batch: no event lost', { timeout: caseTimeoutMs() }, async (t) => {
  const database = await createTestDatabase(5);
  // The victim logs in as its own role (with the service's privileges), so that its sessions can
  // be told apart from the other relay's in pg_stat_activity.
  const role = `bank_relay_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  await runAdmin(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE wallet_ledger_service`);
  const victimUrl = new URL(database.url);
  victimUrl.username = role;
  victimUrl.password = password;
  const kill = { freezes: 0, claimedRows: 0 };
  // pgrowlocks tells which session holds which row lock (a contrib extension, shipped with PostgreSQL).
  await database.pool.query('CREATE EXTENSION IF NOT EXISTS pgrowlocks');
  try {
    const environment = { databaseUrl: database.url, pool: database.pool, brokerUrl: brokerUrl(), relayDatabaseUrls: [victimUrl.toString(), database.url] };
    const { report } = await runBankCase(t, environment, {
      label: 'relay-kill',
      fault: async (context) => {
        await atShareOfLoad(context, 0.2);
        Object.assign(kill, await killRelayMidBatch(context, database.pool, role));
      },
    });
    t.diagnostic(`relay killed after ${kill.freezes} freezes, holding ${kill.claimedRows} claimed rows`);
    assert.ok(kill.claimedRows > 0, 'the relay was killed holding claimed rows');
    assert.ok(report.eventsUnique >= report.counts.acknowledged);
  } finally {
    await database.drop();
    await runAdmin(`DROP ROLE IF EXISTS ${role}`);
  }
});

/**
 * Freezes the victim (SIGSTOP) until a moment when it holds claimed rows in its open drain
 * transaction (claimed, publishing, not yet marked published), then kills it. pgrowlocks says
 * which session holds which row locks. The other relay is paused meanwhile, so that the victim is
 * the one that claims (on a busy machine the other one could win every claim), and resumed after
 * the kill: it must then publish what the victim held.
 */
async function killRelayMidBatch(context: FaultContext, pool: pg.Pool, victimRole: string): Promise<{ freezes: number; claimedRows: number }> {
  const survivor = context.cluster.relays[1]!;
  survivor.child.kill('SIGSTOP');
  try {
    return await freezeAndKillVictim(context, pool, victimRole);
  } finally {
    survivor.child.kill('SIGCONT');
  }
}

async function freezeAndKillVictim(context: FaultContext, pool: pg.Pool, victimRole: string): Promise<{ freezes: number; claimedRows: number }> {
  const victim = context.cluster.relays[0]!;
  for (let freezes = 1; freezes <= FREEZE_TRIES_MAX; freezes += 1) {
    victim.child.kill('SIGSTOP');
    // A statement the victim had sent finishes on the server; then its session waits on the frozen process.
    await delay(FROZEN_MS);
    const claimedRows = await countRowsClaimedBy(pool, victimRole);
    if (claimedRows > 0) {
      await context.cluster.killRelay(0);
      return { freezes, claimedRows };
    }
    victim.child.kill('SIGCONT');
    await delay(10 + Math.random() * 50);
  }
  throw new Error(`could not catch the relay mid-batch in ${FREEZE_TRIES_MAX} freezes`);
}

/** Outbox rows locked (claimed) by the sessions of the relay that logs in as `role`. */
async function countRowsClaimedBy(pool: pg.Pool, role: string): Promise<number> {
  const result = await pool.query<{ claimed: number }>(
    `SELECT count(*)::int AS claimed FROM pgrowlocks('outbox') locks
     WHERE locks.pids && ARRAY(SELECT pid FROM pg_stat_activity WHERE usename = $1 AND application_name = $2)`,
    [role, RELAY_APPLICATION_NAME],
  );
  return result.rows[0]!.claimed;
}

