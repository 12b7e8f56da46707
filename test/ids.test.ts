// Proves that newId's pooled randomness still gives valid version-7 UUIDs that are unique and
// strictly increasing, within one millisecond and across refills of the random pool.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validate, version } from 'uuid';
import { newId } from '../src/ids.js';

const IDS = 5_000; // several refills of the 1,024-id pool, many ids per millisecond

test('newId gives unique, strictly increasing version-7 UUIDs stamped with the current time', () => {
  const before = Date.now();
  const ids = Array.from({ length: IDS }, () => newId());
  const after = Date.now();
  for (const id of ids) {
    assert.ok(validate(id), id);
    assert.equal(version(id), 7, id);
  }
  for (let index = 1; index < ids.length; index++) assert.ok(ids[index - 1]! < ids[index]!, `${ids[index - 1]} then ${ids[index]}`);
  assert.equal(new Set(ids).size, IDS);
  const stampOf = (id: string) => parseInt(id.replaceAll('-', '').slice(0, 12), 16);
  assert.ok(stampOf(ids[0]!) >= before && stampOf(ids.at(-1)!) <= after + 1);
});
