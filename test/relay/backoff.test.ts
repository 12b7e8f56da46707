// Proves that retry delays grow exponentially, stay between the base and the maximum whatever the
// jitter draws, and that settle() dead-letters exactly the rows on their last allowed attempt.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelayMs } from '../../src/backoff.js';
import { settle } from '../../src/relay/drainBatch.js';
import type { OutboxRow } from '../../src/relay/sql/outboxRow.js';

const policy = { baseMs: 500, maxMs: 300_000 };

test('delays stay within [base, min(max, base * 2^attempts)] for any jitter draw', () => {
  for (const draw of [0, 0.5, 0.999999]) {
    for (let attempts = 1; attempts <= 40; attempts += 1) {
      const delayMs = backoffDelayMs(attempts, policy, () => draw);
      assert.ok(delayMs >= policy.baseMs, `attempt ${attempts}: ${delayMs} >= base`);
      assert.ok(delayMs <= Math.min(policy.maxMs, policy.baseMs * 2 ** attempts), `attempt ${attempts}: ${delayMs} within cap`);
    }
  }
  assert.equal(backoffDelayMs(1, policy, () => 1), 1_000);
  assert.equal(backoffDelayMs(3, policy, () => 1), 4_000);
  assert.equal(backoffDelayMs(30, policy, () => 1), policy.maxMs);
  assert.equal(backoffDelayMs(1_000, policy, () => 0), policy.baseMs);
});

test('a base above the maximum is capped at the maximum', () => {
  assert.equal(backoffDelayMs(2, { baseMs: 10_000, maxMs: 1_000 }, () => 0.5), 1_000);
});

test('attempts below 1 are a programming error', () => {
  assert.throws(() => backoffDelayMs(0, policy), RangeError);
});

test('settle sorts rows into published, retried and dead-lettered', () => {
  const row = (id: string, attempts: number): OutboxRow => ({
    id,
    eventId: `event-${id}`,
    eventType: 'deposit.posted',
    routingKey: 'ledger.deposit.posted',
    body: '{}',
    traceparent: null,
    attempts,
    createdAt: new Date(),
  });
  const rows = [row('1', 0), row('2', 0), row('3', 2)];
  const failed = { ok: false as const, reason: 'nacked' as const, error: 'broker did not confirm: message nacked' };
  const settled = settle(rows, [{ ok: true }, failed, failed], { maxAttempts: 3, backoff: policy });
  assert.deepEqual(settled.published.map((r) => r.id), ['1']);
  assert.deepEqual(settled.retries.map((r) => [r.id, r.error]), [['2', failed.error]]);
  assert.ok(settled.retries[0]!.retryDelayMs >= policy.baseMs);
  assert.deepEqual(settled.deadLetters.map((r) => r.id), ['3']);
  assert.throws(() => settle(rows, [{ ok: true }], { maxAttempts: 3, backoff: policy }));
});
