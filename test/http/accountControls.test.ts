// Proves PATCH /v1/accounts/{id} and account controls end to end: the ETag on every account answer
// and the If-Match precondition (428, 412, 400), freezing (debits and new holds refused, credits,
// voids and captures of earlier holds allowed), closing (only when empty; then every posting
// refused and never reopened), the overdraft limit (spendable, counted in available_balance, not
// lowered below what is used), settlement accounts fixed, idempotent replays, the history and the
// account.updated event, and verify passing afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { settlementAccountId } from '../../src/ids.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { renderedEvents } from '../support/outboxEvents.js';
import { fundedAccount, newKey, startTestService, type ApiResponse, type TestService } from '../support/service.js';
import { assertInvalidFields, assertProblem, UNKNOWN_ID } from './helpers.js';

describe('account controls', () => {
  let api: TestService;
  before(async () => {
    api = await startTestService();
  });
  after(() => api.close());

  async function etagOf(id: string): Promise<string> {
    const read = await api.request('GET', `/v1/accounts/${id}`);
    assert.equal(read.status, 200, read.raw);
    assert.match(String(read.headers.etag), /^"[A-Za-z0-9_-]{22}"$/);
    return String(read.headers.etag);
  }

  async function patch(id: string, body: unknown, options: { ifMatch?: string; key?: string } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    const ifMatch = options.ifMatch ?? await etagOf(id);
    if (ifMatch !== '') headers['if-match'] = ifMatch;
    return api.request('PATCH', `/v1/accounts/${id}`, { body, headers, ...(options.key ? { idempotencyKey: options.key } : {}) });
  }

  function post(path: string, body: unknown): Promise<ApiResponse> {
    return api.request('POST', path, { body, idempotencyKey: newKey() });
  }

  test('every account answer carries an ETag that changes with postings, holds and PATCHes', async () => {
    const opened = await api.request('POST', '/v1/accounts', { body: { currency: 'USD' } });
    const id = opened.body.id;
    const first = await etagOf(id);
    assert.equal(opened.headers.etag, first);
    await post('/v1/transactions/deposit', { account_id: id, amount: '100' });
    const afterDeposit = await etagOf(id);
    assert.notEqual(afterDeposit, first);
    const hold = await post('/v1/holds', { source_account_id: id, amount: '10' });
    assert.equal(hold.status, 201, hold.raw);
    const afterHold = await etagOf(id);
    assert.notEqual(afterHold, afterDeposit);
    const patched = await patch(id, { metadata: { note: 'x' } }, { ifMatch: afterHold });
    assert.equal(patched.status, 200, patched.raw);
    assert.equal(patched.body.version, 2);
    assert.notEqual(patched.headers.etag, afterHold);
    assert.equal(patched.headers.etag, await etagOf(id));
    assert.deepEqual(patched.body.metadata, { note: 'x' });
  });

  test('a missing If-Match is 428, a stale one 412, a malformed one 400 naming it; * matches', async () => {
    const id = await fundedAccount(api, 'USD', 50n);
    assertProblem(await patch(id, { status: 'frozen' }, { ifMatch: '' }), 428, 'precondition_required');
    const stale = await etagOf(id);
    await post('/v1/transactions/deposit', { account_id: id, amount: '1' });
    const refused = await patch(id, { status: 'frozen' }, { ifMatch: stale });
    assertProblem(refused, 412, 'precondition_failed');
    assert.equal(refused.body.account_id, id);
    assertProblem(await patch(id, { status: 'frozen' }, { ifMatch: `W/${await etagOf(id)}` }), 412, 'precondition_failed');
    assertInvalidFields(await patch(id, { status: 'frozen' }, { ifMatch: 'not-quoted' }), ['If-Match'], 'header');
    const listed = await patch(id, { status: 'frozen' }, { ifMatch: `${stale}, ${await etagOf(id)}` });
    assert.equal(listed.status, 200, listed.raw);
    assert.equal((await patch(id, { status: 'active' }, { ifMatch: '*' })).status, 200);
    assert.equal((await api.request('GET', `/v1/accounts/${id}`)).body.status, 'active');
  });

  test('a frozen wallet refuses debits and new holds from it; credits, voids and captures of earlier holds apply', async () => {
    const id = await fundedAccount(api, 'USD', 1_000n);
    const other = await fundedAccount(api, 'USD', 1_000n);
    const earlier = await post('/v1/holds', { source_account_id: id, destination_account_id: other, amount: '100' });
    const toVoid = await post('/v1/holds', { source_account_id: id, amount: '50' });
    const deposit = await post('/v1/transactions/deposit', { account_id: id, amount: '10' });
    const frozen = await patch(id, { status: 'frozen' });
    assert.equal(frozen.status, 200, frozen.raw);
    assert.equal(frozen.body.status, 'frozen');

    const withdrawal = await post('/v1/transactions/withdraw', { account_id: id, amount: '1' });
    assertProblem(withdrawal, 422, 'account_frozen');
    assert.equal(withdrawal.body.field, 'account_id');
    const transfer = await post('/v1/transactions/transfer', { source_account_id: id, destination_account_id: other, amount: '1' });
    assertProblem(transfer, 422, 'account_frozen');
    assert.equal(transfer.body.field, 'source_account_id');
    assertProblem(await post('/v1/holds', { source_account_id: id, amount: '1' }), 422, 'account_frozen');
    assertProblem(await post('/v1/holds', { source_account_id: id, destination_account_id: other, amount: '1' }), 422, 'account_frozen');
    assertProblem(await post(`/v1/transactions/${deposit.body.id}/reverse`, {}), 422, 'account_frozen');

    assert.equal((await post('/v1/transactions/deposit', { account_id: id, amount: '5' })).status, 201);
    assert.equal((await post('/v1/transactions/transfer', { source_account_id: other, destination_account_id: id, amount: '5' })).status, 201);
    assert.equal((await post(`/v1/holds/${toVoid.body.id}/void`, {})).status, 200);
    assert.equal((await post(`/v1/holds/${earlier.body.id}/capture`, {})).status, 201);

    assert.equal((await patch(id, { status: 'active' })).status, 200);
    assert.equal((await post('/v1/transactions/withdraw', { account_id: id, amount: '1' })).status, 201);
  });

  test('closing needs a zero balance and no pending holds; a closed wallet refuses every posting and never reopens', async () => {
    const id = await fundedAccount(api, 'EUR', 30n);
    const other = await fundedAccount(api, 'EUR', 30n);
    const funded = await patch(id, { status: 'closed' });
    assertProblem(funded, 422, 'account_not_empty');
    assert.equal(funded.body.balance, '30');
    assert.equal((await post('/v1/transactions/withdraw', { account_id: id, amount: '30' })).status, 201);
    const held = await post('/v1/holds', { source_account_id: other, destination_account_id: id, amount: '5' });
    assertProblem(await patch(id, { status: 'closed' }), 422, 'account_not_empty');
    assert.equal((await post(`/v1/holds/${held.body.id}/void`, {})).status, 200);

    const closed = await patch(id, { status: 'closed', metadata: { reason: 'customer left' } });
    assert.equal(closed.status, 200, closed.raw);
    assert.equal(closed.body.status, 'closed');
    for (const refused of [
      await post('/v1/transactions/deposit', { account_id: id, amount: '1' }),
      await post('/v1/transactions/withdraw', { account_id: id, amount: '1' }),
      await post('/v1/transactions/transfer', { source_account_id: other, destination_account_id: id, amount: '1' }),
      await post('/v1/transactions/transfer', { source_account_id: id, destination_account_id: other, amount: '1' }),
      await post('/v1/holds', { source_account_id: other, destination_account_id: id, amount: '1' }),
    ]) assertProblem(refused, 422, 'account_closed');
    assertProblem(await patch(id, { status: 'active' }), 422, 'account_closed');
    assertProblem(await patch(id, { status: 'closed' }), 422, 'account_closed');
    assertProblem(await patch(id, { overdraft_limit: '10' }), 422, 'account_closed');
    const annotated = await patch(id, { metadata: { reason: 'moved abroad' } });
    assert.equal(annotated.status, 200, annotated.raw);
    assert.equal(annotated.body.status, 'closed');
  });

  test('an overdraft limit lets the wallet go down to -limit, counts in available_balance, and is not lowered below what is used', async () => {
    const id = await fundedAccount(api, 'GBP', 100n);
    const limited = await patch(id, { overdraft_limit: '50' });
    assert.equal(limited.status, 200, limited.raw);
    assert.equal(limited.body.overdraft_limit, '50');
    assert.equal(limited.body.available_balance, '150');
    assertProblem(await post('/v1/transactions/withdraw', { account_id: id, amount: '151' }), 422, 'insufficient_funds');
    assert.equal((await post('/v1/transactions/withdraw', { account_id: id, amount: '140' })).status, 201);
    const read = await api.request('GET', `/v1/accounts/${id}`);
    assert.equal(read.body.balance, '-40');
    assert.equal(read.body.available_balance, '10');
    const lowered = await patch(id, { overdraft_limit: '39' });
    assertProblem(lowered, 422, 'overdraft_limit_too_low');
    assert.equal(lowered.body.field, 'overdraft_limit');
    assertProblem(await patch(id, { status: 'closed' }), 422, 'account_not_empty');
    assert.equal((await patch(id, { overdraft_limit: '40' })).status, 200);
    assertProblem(await post('/v1/holds', { source_account_id: id, amount: '1' }), 422, 'insufficient_funds');
  });

  test('settlement accounts are fixed (422) and unknown accounts 404', async () => {
    await fundedAccount(api, 'CHF', 1n);
    const settlement = settlementAccountId('CHF');
    assertProblem(await patch(settlement, { status: 'frozen' }), 422, 'settlement_account_fixed');
    assertProblem(await patch(settlement, { metadata: {} }), 422, 'settlement_account_fixed');
    assertProblem(await patch(UNKNOWN_ID, { status: 'frozen' }, { ifMatch: '*' }), 404, 'account_not_found');
    assertProblem(await api.request('GET', `/v1/accounts/${UNKNOWN_ID}/history`), 404, 'account_not_found');
  });

  test('a PATCH that changes nothing answers the account as it is and writes no history', async () => {
    const id = await fundedAccount(api, 'USD', 0n);
    const before = await api.request('GET', `/v1/accounts/${id}`);
    const same = await patch(id, { status: 'active', overdraft_limit: '0', metadata: {} });
    assert.equal(same.status, 200, same.raw);
    assert.deepEqual(same.body, before.body);
    assert.deepEqual((await api.request('GET', `/v1/accounts/${id}/history`)).body.data, []);
  });

  test('an Idempotency-Key replays the first answer; the same key with another If-Match is idempotency_key_reused', async () => {
    const id = await fundedAccount(api, 'USD', 0n);
    const key = newKey();
    const etag = await etagOf(id);
    const first = await patch(id, { status: 'frozen' }, { ifMatch: etag, key });
    assert.equal(first.status, 200, first.raw);
    const again = await patch(id, { status: 'frozen' }, { ifMatch: etag, key });
    assert.equal(again.status, 200);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.raw, first.raw);
    assert.equal(again.headers.etag, first.headers.etag);
    assertProblem(await patch(id, { status: 'frozen' }, { ifMatch: String(first.headers.etag), key }), 422, 'idempotency_key_reused');
  });

  test('the history lists each change newest first, paged, and each change is an account.updated event', async () => {
    const id = await fundedAccount(api, 'USD', 0n);
    await patch(id, { status: 'frozen' });
    await patch(id, { overdraft_limit: '25' });
    await patch(id, { status: 'active', metadata: { a: 1 } });
    const closed = await patch(id, { status: 'closed' });
    const requestId = String(closed.headers['x-request-id']);
    const firstPage = await api.request('GET', `/v1/accounts/${id}/history?limit=3`);
    assert.equal(firstPage.status, 200, firstPage.raw);
    assert.deepEqual(firstPage.body.data.map((row: { version: number }) => row.version), [4, 3, 2]);
    assert.deepEqual(firstPage.body.data[0].changes, { status: { from: 'active', to: 'closed' } });
    assert.equal(firstPage.body.data[0].request_id, requestId);
    assert.deepEqual(firstPage.body.data[1].changes, { status: { from: 'frozen', to: 'active' }, metadata: { from: {}, to: { a: 1 } } });
    const secondPage = await api.request('GET', `/v1/accounts/${id}/history?limit=3&cursor=${firstPage.body.next_cursor}`);
    assert.deepEqual(secondPage.body.data.map((row: { version: number; changes: unknown }) => [row.version, row.changes]), [
      [1, { status: { from: 'active', to: 'frozen' } }],
    ]);
    assert.equal(secondPage.body.next_cursor, null);
    assertInvalidFields(await api.request('GET', `/v1/accounts/${id}/history?cursor=bogus`), ['cursor'], 'query');

    const events = (await renderedEvents(api.database.pool, [id])).filter((event) => event.eventType === 'account.updated');
    assert.deepEqual(events.map((event) => (event.envelope.data as { change: string }).change), [
      'account.frozen', 'account.overdraft_limit_changed', 'account.unfrozen', 'account.closed',
    ]);
    const last = events.at(-1)!.envelope.data as { request_id: string; account: { status: string; version: number } };
    assert.equal(last.request_id, requestId);
    assert.equal(last.account.status, 'closed');
    assert.equal(last.account.version, 4);
  });

  test('bad PATCH bodies are 400 naming the field', async () => {
    const id = await fundedAccount(api, 'USD', 0n);
    assertInvalidFields(await patch(id, { status: 'deleted' }), ['status']);
    assertInvalidFields(await patch(id, { overdraft_limit: '-1' }), ['overdraft_limit']);
    assertInvalidFields(await patch(id, { overdraft_limit: '01' }), ['overdraft_limit']);
    assertInvalidFields(await patch(id, { overdraft_limit: 1.5 }), ['overdraft_limit']);
    assertInvalidFields(await patch(id, { overdraft_limit: 10 }), ['overdraft_limit']);
    assertInvalidFields(await patch(id, { balance: '10' }), ['balance']);
  });

  test('the ledger invariants hold afterwards', async () => {
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
  });
});
