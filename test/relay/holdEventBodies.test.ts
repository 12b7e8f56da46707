// Proves that a hold's events, stored as the hold's id, are rendered by the relay as the change
// they announce left the hold, whatever the hold's row says by then: hold.created is the
// creation's answer, hold.voided the void's, hold.captured the captured hold with the capture's
// answer, hold.expired the hold the sweep expired; each as compact JSON (the contract's form),
// with the traceparent of the request that caused it, and the same bytes on every rendering.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../fuzz/holdModel.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const HOUR_MS = 3_600_000;

describe('hold events rendered from the hold and its changes', () => {
  const clock = new ManualClock();
  let api: TestService;
  before(async () => {
    // The expiry needs a test clock, which cannot reach worker threads: the partitions commit here.
    api = await startTestService({ PARTITION_MODE: 'inline' }, clock);
  });
  after(() => api.close());

  const write = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    api.request('POST', path, { body, idempotencyKey: newKey(), headers });

  test('created, captured, voided and expired, each as its change left the hold', async () => {
    const source = await fundedAccount(api, 'USD', 1_000n);
    const destination = await fundedAccount(api, 'USD', 0n);
    const created = await write('/v1/holds', {
      source_account_id: source, destination_account_id: destination, amount: '300', description: 'ride r-78', metadata: { ride: 'r-78', city: 'Lyon' },
    }, { traceparent: TRACEPARENT });
    assert.equal(created.status, 201);
    clock.advanceTo(clock.nowMs() + 1_000);
    const captured = await write(`/v1/holds/${created.body.id}/capture`, { amount: '120' });
    assert.equal(captured.status, 201);
    const capturedHold = await api.request('GET', `/v1/holds/${created.body.id}`);

    const toVoid = await write('/v1/holds', { source_account_id: source, amount: '50' });
    clock.advanceTo(clock.nowMs() + 1_000);
    const voided = await write(`/v1/holds/${toVoid.body.id}/void`, {});
    assert.equal(voided.status, 200);

    const toExpire = await write('/v1/holds', { source_account_id: source, amount: '30', expires_at: new Date(clock.nowMs() + HOUR_MS).toISOString() });
    clock.advanceTo(clock.nowMs() + HOUR_MS);
    assert.equal(await api.service.holdExpiry.sweepNow(), 1);
    const expiredHold = await api.request('GET', `/v1/holds/${toExpire.body.id}`);
    assert.equal(expiredHold.body.status, 'expired');

    const holds = [created.body.id, toVoid.body.id, toExpire.body.id];
    const events = (await renderedEvents(api.database.pool, holds)).filter((event) => event.eventType.startsWith('hold.'));
    assert.deepEqual(events.map((event) => [event.eventType, event.subject]), [
      ['hold.created', created.body.id], ['hold.captured', created.body.id], ['hold.created', toVoid.body.id], ['hold.voided', toVoid.body.id],
      ['hold.created', toExpire.body.id], ['hold.expired', toExpire.body.id],
    ]);
    const stored = await api.database.pool.query('SELECT count(*)::int AS n FROM outbox WHERE hold_id = ANY($1::uuid[]) AND payload IS NULL', [holds]);
    assert.equal(stored.rows[0].n, 6, 'every hold event is stored as its hold id');

    const [createdEvent, capturedEvent, voidCreated, voidedEvent, expireCreated, expiredEvent] = events;
    // As answered when the hold was created, though the row is captured now.
    assert.equal(JSON.stringify(createdEvent!.envelope.data), created.raw);
    assert.equal(createdEvent!.envelope.time, created.body.created_at);
    assert.equal(createdEvent!.envelope.traceparent, TRACEPARENT);
    assert.deepEqual(capturedEvent!.envelope.data, { hold: capturedHold.body, transaction: captured.body });
    assert.equal(capturedEvent!.envelope.time, capturedHold.body.updated_at);
    assert.match(capturedEvent!.envelope.traceparent ?? '', /^00-/, "the capture's own request's trace");
    assert.notEqual(capturedEvent!.envelope.traceparent, TRACEPARENT);
    assert.equal(JSON.stringify(voidCreated!.envelope.data), toVoid.raw);
    assert.equal(JSON.stringify(voidedEvent!.envelope.data), voided.raw);
    assert.equal(JSON.stringify(expireCreated!.envelope.data), toExpire.raw);
    assert.deepEqual(expiredEvent!.envelope.data, expiredHold.body);

    for (const event of events) {
      assert.equal(event.body, JSON.stringify(event.envelope), `${event.eventType} is compact JSON, keys in the contract's order`);
      assert.deepEqual(Object.keys(event.envelope), ['specversion', 'id', 'source', 'type', 'time', 'subject', 'datacontenttype', 'data',
        ...(event.envelope.traceparent ? ['traceparent'] : [])]);
    }
    const again = (await renderedEvents(api.database.pool, holds)).filter((event) => event.eventType.startsWith('hold.'));
    assert.deepEqual(again.map((event) => event.body), events.map((event) => event.body), 'the same bytes on every rendering');
  });

  test('a hold event naming a hold change that does not exist is refused when rendered, not published empty', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const hold = await write('/v1/holds', { source_account_id: source, amount: '10' });
    await api.database.pool.query(
      `INSERT INTO outbox (event_id, event_type, routing_key, hold_id, created_at) VALUES (gen_random_uuid(), 'hold.voided', 'ledger.hold.voided', $1, now())`,
      [hold.body.id],
    );
    await assert.rejects(renderedEvents(api.database.pool, [hold.body.id]), /names a hold\.voided of hold .* which does not exist/);
    await api.database.pool.query('DELETE FROM outbox WHERE hold_id = $1', [hold.body.id]);
  });

  test('an event row names exactly one of a payload, a transaction and a hold', async () => {
    const source = await fundedAccount(api, 'USD', 100n);
    const hold = await write('/v1/holds', { source_account_id: source, amount: '10' });
    await assert.rejects(
      api.database.pool.query(
        `INSERT INTO outbox (event_id, event_type, routing_key, hold_id, transaction_id, created_at)
         VALUES (gen_random_uuid(), 'hold.created', 'ledger.hold.created', $1, $1, now())`,
        [hold.body.id],
      ),
      /outbox_one_body/,
    );
  });
});
