// Proves the routing hash: one account always lands in the same partition, and time-ordered ids
// (which share their leading characters) spread evenly, so that no partition takes most writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../src/ids.js';
import { partitionOf } from '../../partitions/partitionedWriter.js';

test('an account is always routed to the same partition', () => {
  const id = newId();
  const first = partitionOf(id, 7);
  for (let attempt = 0; attempt < 100; attempt++) assert.equal(partitionOf(id, 7), first);
});

test('ids made in the same millisecond spread evenly over the partitions', () => {
  for (const partitions of [2, 3, 4, 8]) {
    const counts = new Array<number>(partitions).fill(0);
    const ids = 20_000;
    for (let index = 0; index < ids; index++) counts[partitionOf(newId(), partitions)]!++;
    const expected = ids / partitions;
    for (const count of counts) assert.ok(Math.abs(count - expected) < expected * 0.1, `${partitions} partitions: ${counts.join(', ')}`);
  }
});

test('one partition takes everything', () => {
  assert.equal(partitionOf(newId(), 1), 0);
});
