// Proves hold expiry with an injected clock: a hold past expires_at cannot be captured or voided
// (409 hold_not_pending, status expired) whether or not the sweep has run; the sweep expires due
// holds through the writers, releasing their reservation and announcing hold.expired, leaves holds
// not yet due alone, and runs by itself within 5 seconds of expiry.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { assertProblem } from './helpers.js';

const HOUR_MS = 3_600_000;
/** How soon the service promises to expire a due hold. */
const EXPIRY_DELAY_MAX_MS = 5_000;

class ManualClock implements Clock {
  private current = Date.now();
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

describe('hold expiry', () => {
  const clock = new ManualClock();
  let api: TestService;
  before(async () => {
    // A test clock cannot reach worker threads: the partitions commit on the main thread here.
    api = await startTestService({ PARTITION_MODE: 'inline' }, clock);
  });
  after(() => api.close());

  const createHold = (body: Record<string, unknown>) => api.request('POST', '/v1/holds', { body, idempotencyKey: newKey() });
  const holdOf = async (id: string) => (await api.request('GET', `/v1/holds/${id}`)).body;
  const pendingDebits = async (id: string) => (await api.request('GET', `/v1/accounts/${id}`)).body.pending_debits as string;

  test('past expires_at a hold cannot be captured or voided, before the sweep; the sweep then expires it', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const expiresAt = new Date(clock.now().getTime() + HOUR_MS).toISOString();
    const hold = (await createHold({ source_account_id: source, destination_account_id: destination, amount: '60', expires_at: expiresAt })).body;
    const notDue = (await createHold({ source_account_id: source, amount: '10', expires_at: new Date(clock.now().getTime() + 3 * HOUR_MS).toISOString() })).body;
    assert.equal(hold.expires_at, expiresAt);

    clock.advance(HOUR_MS);
    const capture = await api.request('POST', `/v1/holds/${hold.id}/capture`, { idempotencyKey: newKey() });
    assertProblem(capture, 409, 'hold_not_pending');
    assert.equal(capture.body.hold_status, 'expired');
    const voided = await api.request('POST', `/v1/holds/${hold.id}/void`, { idempotencyKey: newKey() });
    assertProblem(voided, 409, 'hold_not_pending');
    assert.equal(voided.body.hold_status, 'expired');
    assert.equal(await pendingDebits(source), '70', 'refusals change nothing');

    assert.ok((await api.service.holdExpiry.sweepNow()) >= 1);
    const expired = await holdOf(hold.id);
    assert.equal(expired.status, 'expired');
    assert.equal(expired.updated_at, clock.now().toISOString());
    assert.equal(await pendingDebits(source), '10');
    assert.equal((await api.request('GET', `/v1/accounts/${destination}`)).body.pending_credits, '0');
    assert.equal((await holdOf(notDue.id)).status, 'pending');
    const events = await renderedEvents(api.database.pool, [hold.id]);
    assert.deepEqual(events.map((event) => event.eventType), ['hold.created', 'hold.expired']);
    const changes = await api.database.pool.query('SELECT status, amount::text FROM hold_changes WHERE hold_id = $1 ORDER BY created_at, status DESC', [hold.id]);
    assert.deepEqual(changes.rows, [{ status: 'pending', amount: '60' }, { status: 'expired', amount: '60' }]);
    assert.equal(await api.service.holdExpiry.sweepNow(), 0, 'an expired hold is no longer due');
  });

  test('the service sweeps by itself: a due hold expires within 5 seconds', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const hold = (await createHold({ source_account_id: source, amount: '5', expires_at: new Date(clock.now().getTime() + 60_000).toISOString() })).body;
    clock.advance(60_000);
    const deadline = Date.now() + EXPIRY_DELAY_MAX_MS;
    while ((await holdOf(hold.id)).status === 'pending' && Date.now() < deadline) await sleep(100);
    assert.equal((await holdOf(hold.id)).status, 'expired');
    assert.equal(await pendingDebits(source), '0');
  });
});
