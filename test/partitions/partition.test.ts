// Proves a partition's group commit: a lone operation commits at once, operations arriving during a
// commit share the next batch (up to BATCH_MAX), the next batch goes out before the last is
// answered, a full queue answers overloaded at once, and closing answers every queued operation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../src/ids.js';
import { respondTo, type WriteResponse } from '../../src/http/writeResponses.js';
import type { LedgerContext } from '../../src/ledger/ledgerContext.js';
import type { LedgerOperation } from '../../src/ledger/operations.js';
import { failed, type Failure } from '../../src/ledger/outcomes.js';
import { commitAndRespond } from '../../partitions/commitAndRespond.js';
import { Partition, type ApplyBatchFunction } from '../../partitions/partition.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { quietLedgerContext } from '../support/ledgerSettings.js';

let database: TestDatabase;
let context: LedgerContext;

before(async () => {
  database = await createTestDatabase();
  context = quietLedgerContext(database.pool);
});
after(() => database.drop());

function open(): LedgerOperation {
  return { kind: 'open_account', accountId: newId(), currency: 'USD', externalRef: null, metadata: {}, idempotency: undefined };
}

/** The real commit, recording the size of every batch it is given. */
function recordingCommit(sizes: number[]) {
  return async (operations: LedgerOperation[]): Promise<WriteResponse[]> => {
    sizes.push(operations.length);
    return commitAndRespond(context, operations);
  };
}

const failOnError = (error: unknown) => assert.fail(String(error));
const answerFailure = (failure: Failure) => respondTo(failed(failure));

function partition(applyBatch: ApplyBatchFunction<WriteResponse>, batchMax: number, queueMax: number) {
  return new Partition({ applyBatch, answerFailure, batchMax, queueMax, onUnexpectedError: failOnError });
}

test('a lone operation is committed at once, in a batch of one', async () => {
  const sizes: number[] = [];
  const writer = partition(recordingCommit(sizes), 100, 1000);
  const result = await writer.submit(open());
  assert.equal(result.statusCode, 201);
  assert.deepEqual(sizes, [1]);
});

test('operations that arrive while a batch commits share the next batches, at most BATCH_MAX each', async () => {
  const sizes: number[] = [];
  const writer = partition(recordingCommit(sizes), 10, 1000);
  const results = await Promise.all(Array.from({ length: 31 }, () => writer.submit(open())));
  assert.ok(results.every((result) => result.statusCode === 201));
  // The first arrives alone and commits at once; the other 30 queue behind it in batches of 10.
  assert.deepEqual(sizes, [1, 10, 10, 10]);
});

test('the next batch is sent before the last one is answered, and a last batch is answered at once', async () => {
  const events: string[] = [];
  const commit = async (operations: LedgerOperation[]): Promise<WriteResponse[]> => {
    // Like taking a pooled connection: the statements go out a tick later.
    await new Promise((resolve) => process.nextTick(resolve));
    events.push(`sent ${operations.length}`);
    return commitAndRespond(context, operations);
  };
  const writer = partition(commit, 10, 1000);
  const submitted = Array.from({ length: 3 }, (_, index) =>
    writer.submit(open()).then((result) => events.push(`answer ${index} ${result.statusCode}`)));
  await Promise.all(submitted);
  // The first commits alone; the other two wait for it and go out before it is answered.
  assert.deepEqual(events, ['sent 1', 'sent 2', 'answer 0 201', 'answer 1 201', 'answer 2 201']);
});

test('a full queue answers 503 overloaded at once instead of growing', async () => {
  const writer = partition(recordingCommit([]), 5, 8);
  const results = await Promise.all(Array.from({ length: 20 }, () => writer.submit(open())));
  const overloaded = results.filter((result) => result.statusCode === 503);
  // One commits at once (dequeued), 8 wait in the queue, the other 11 are turned away.
  assert.equal(results.filter((result) => result.statusCode === 201).length, 9);
  assert.equal(overloaded.length, 11);
  assert.equal(JSON.parse(overloaded[0]!.body).code, 'overloaded');
});

test('closing answers every queued operation, then refuses new ones', async () => {
  const writer = partition(recordingCommit([]), 4, 1000);
  const pending = Array.from({ length: 12 }, () => writer.submit(open()));
  await writer.close();
  const results = await Promise.all(pending);
  assert.ok(results.every((result) => result.statusCode === 201));
  const late = await writer.submit(open());
  assert.equal(late.statusCode, 503);
  assert.equal(JSON.parse(late.body).code, 'service_unavailable');
});
