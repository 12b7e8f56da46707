// Proves that with DATABASE_READ_URL the GETs read from a real streaming replica only when that is
// safe: a read that sends back a write's X-Ledger-Position always sees that write, with replay
// delayed on purpose (recovery_min_apply_delay); a read without one goes to the primary once the
// replica may be staler than READ_MAX_LAG_MS, yet stays on a replica whose primary is merely idle;
// a replica that is down sends reads to the primary until it is back; a malformed
// X-Ledger-Position is a 400 naming the header; without a replica, writes send no position.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { startStreamingReplica, type StreamingReplica } from '../support/streamingReplica.js';
import { newKey, startServiceOn, type ApiResponse, type TestService } from '../support/service.js';
import { assertInvalidFields } from './helpers.js';

type Api = Omit<TestService, 'database'>;

const APPLY_DELAY_MS = 1_000;
const POSITION_PATTERN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/;
const WAIT_TIMEOUT_MS = 20_000;

describe('reads from a streaming replica', () => {
  let pair: StreamingReplica;
  const services: Api[] = [];

  async function startService(env: Record<string, string>): Promise<Api> {
    const api = await startServiceOn(pair.primaryUrl, {
      DATABASE_READ_URL: pair.replicaUrl,
      METRICS_PORT: '0',
      PARTITION_MODE: 'inline',
      PARTITIONS: '1',
      ...env,
    });
    services.push(api);
    await waitFor('the service to sample the replica', async () => (await metricValue(api, 'wallet_ledger_read_replica_staleness_seconds')) < 60);
    return api;
  }

  before(async () => {
    pair = await startStreamingReplica();
  });
  after(async () => {
    await Promise.all(services.map((api) => api.close()));
    await pair?.stop();
  });

  test('a read that sends back a write X-Ledger-Position sees the write, from the replica after waiting or from the primary', async () => {
    // Without a token, this service would read from a replica up to a minute stale: the token alone makes the reads consistent.
    const waiting = await startService({ READ_MAX_LAG_MS: '60000', READ_POSITION_WAIT_MS: '5000' });
    const notWaiting = await startService({ READ_MAX_LAG_MS: '60000', READ_POSITION_WAIT_MS: '0' });
    await pair.setApplyDelay(APPLY_DELAY_MS);

    const opened = await waiting.request('POST', '/v1/accounts', { body: { currency: 'USD' } });
    assert.equal(opened.status, 201);
    const wallet: string = opened.body.id;
    const stale = await waiting.request('GET', `/v1/accounts/${wallet}`);
    assert.equal(stale.status, 404, 'without its token the read misses the new account: replay is delayed');

    const readsBefore = { waiting: await readsBy(waiting), notWaiting: await readsBy(notWaiting) };
    await assertSeesWrite(opened, `/v1/accounts/${wallet}`, (read) => assert.equal(read.body.id, wallet));
    const deposit = await waiting.request('POST', '/v1/transactions/deposit', { body: { account_id: wallet, amount: '700' }, idempotencyKey: newKey() });
    assert.equal(deposit.status, 201);
    await assertSeesWrite(deposit, `/v1/accounts/${wallet}`, (read) => assert.equal(read.body.balance, '700'));
    const withdrawal = await waiting.request('POST', '/v1/transactions/withdraw', { body: { account_id: wallet, amount: '100' }, idempotencyKey: newKey() });
    assert.equal(withdrawal.status, 201);
    await assertSeesWrite(withdrawal, `/v1/transactions/${withdrawal.body.id}`, (read) => assert.equal(read.body.amount, '100'));
    const hold = await waiting.request('POST', '/v1/holds', { body: { source_account_id: wallet, amount: '200' }, idempotencyKey: newKey() });
    assert.equal(hold.status, 201);
    await assertSeesWrite(hold, `/v1/accounts/${wallet}/holds`, (read) => assert.deepEqual(read.body.data.map((found: { id: string }) => found.id), [hold.body.id]));
    const patched = await waiting.request('PATCH', `/v1/accounts/${wallet}`, { body: { metadata: { tier: 'gold' } }, headers: { 'if-match': '*' } });
    assert.equal(patched.status, 200);
    await assertSeesWrite(patched, `/v1/accounts/${wallet}/history`, (read) => assert.equal(read.body.data.length, 1));

    const readsAfter = { waiting: await readsBy(waiting), notWaiting: await readsBy(notWaiting) };
    assert.equal(readsAfter.notWaiting.primary - readsBefore.notWaiting.primary, 5, 'the service that does not wait read each write from the primary');
    assert.equal(readsAfter.waiting.replica - readsBefore.waiting.replica, 5, 'the waiting service read each write from the replica once replayed');

    /** Both services, given the write's token, read what it wrote. */
    async function assertSeesWrite(write: ApiResponse, url: string, check: (read: ApiResponse) => void): Promise<void> {
      const position = write.headers['x-ledger-position'];
      assert.match(String(position), POSITION_PATTERN, `${url}: the write answers X-Ledger-Position`);
      // The one that does not wait first: the replica is still a second behind this write.
      for (const api of [notWaiting, waiting]) {
        const read = await api.request('GET', url, { headers: { 'x-ledger-position': String(position) } });
        assert.equal(read.status, 200, read.raw);
        check(read);
      }
    }
  });

  test('a replayed write answers a position at or after its first commit', async () => {
    const api = await startService({ READ_MAX_LAG_MS: '60000', READ_POSITION_WAIT_MS: '5000' });
    const opened = await api.request('POST', '/v1/accounts', { body: { currency: 'USD' } });
    const key = newKey();
    const first = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: opened.body.id, amount: '5' }, idempotencyKey: key });
    const replay = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: opened.body.id, amount: '5' }, idempotencyKey: key });
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.ok(lsn(replay.headers['x-ledger-position']) >= lsn(first.headers['x-ledger-position']));
    const read = await api.request('GET', `/v1/accounts/${opened.body.id}`, { headers: { 'x-ledger-position': String(replay.headers['x-ledger-position']) } });
    assert.equal(read.body.balance, '5');
  });

  test('without a token, a replica staler than READ_MAX_LAG_MS sends reads to the primary; one whose primary is idle does not', async () => {
    await pair.setApplyDelay(APPLY_DELAY_MS);
    const bounded = await startService({ READ_MAX_LAG_MS: '300', READ_POSITION_WAIT_MS: '0' });
    const opened = await bounded.request('POST', '/v1/accounts', { body: { currency: 'USD' } });
    const wallet: string = opened.body.id;
    // Idle for longer than the bound: the time since the last replayed commit grows, the staleness does not.
    await waitFor('the replica to replay the new account', async () => (await bounded.request('GET', `/v1/accounts/${wallet}`)).status === 200);
    await sleep(APPLY_DELAY_MS + 500);
    assert.ok((await metricValue(bounded, 'wallet_ledger_read_replica_staleness_seconds')) < 0.3, 'an idle primary is no lag');
    let reads = await readsBy(bounded);
    assert.equal((await bounded.request('GET', `/v1/accounts/${wallet}`)).status, 200);
    assert.equal((await readsBy(bounded)).replica, reads.replica + 1, 'an up-to-date replica serves a read without a token');

    const deposit = await bounded.request('POST', '/v1/transactions/deposit', { body: { account_id: wallet, amount: '42' }, idempotencyKey: newKey() });
    assert.equal(deposit.status, 201);
    await sleep(500);
    reads = await readsBy(bounded);
    const read = await bounded.request('GET', `/v1/accounts/${wallet}`);
    assert.equal(read.body.balance, '42', 'the primary answered: the replica was still 1 s behind');
    assert.equal((await readsBy(bounded)).primary, reads.primary + 1);
  });

  test('a replica that is down sends reads to the primary until it is back', async () => {
    await pair.setApplyDelay(0);
    const api = await startService({ READ_MAX_LAG_MS: '1000', READ_POSITION_WAIT_MS: '200' });
    const opened = await api.request('POST', '/v1/accounts', { body: { currency: 'USD' } });
    const wallet: string = opened.body.id;
    await waitFor('the replica to serve reads', async () => {
      const before = (await readsBy(api)).replica;
      return (await api.request('GET', `/v1/accounts/${wallet}`)).status === 200 && (await readsBy(api)).replica > before;
    });

    await pair.stopReplica();
    try {
      const reads = await readsBy(api);
      const withAndWithoutToken: Array<Record<string, string>> = [{}, { 'x-ledger-position': String(opened.headers['x-ledger-position']) }];
      for (const headers of withAndWithoutToken) {
        const read = await api.request('GET', `/v1/accounts/${wallet}`, { headers });
        assert.equal(read.status, 200, read.raw);
        assert.equal(read.body.id, wallet);
      }
      const list = await api.request('GET', `/v1/transactions?account_id=${wallet}`);
      assert.equal(list.status, 200, list.raw);
      const now = await readsBy(api);
      assert.deepEqual({ replica: now.replica - reads.replica, primary: now.primary - reads.primary }, { replica: 0, primary: 3 });
    } finally {
      await pair.startReplica();
    }
    await waitFor('reads to return to the replica', async () => {
      const before = (await readsBy(api)).replica;
      await api.request('GET', `/v1/accounts/${wallet}`);
      return (await readsBy(api)).replica > before;
    });
  });

  test('without DATABASE_READ_URL, writes answer no X-Ledger-Position and a sent one is still checked', async () => {
    const primaryOnly = await startServiceOn(pair.primaryUrl, { PARTITION_MODE: 'inline', PARTITIONS: '1' });
    services.push(primaryOnly);
    const opened = await primaryOnly.request('POST', '/v1/accounts', { body: { currency: 'USD' } });
    assert.equal(opened.status, 201);
    assert.equal(opened.headers['x-ledger-position'], undefined);
    const read = await primaryOnly.request('GET', `/v1/accounts/${opened.body.id}`, { headers: { 'x-ledger-position': '0/1' } });
    assert.equal(read.status, 200);
    assertInvalidFields(await primaryOnly.request('GET', '/v1/accounts', { headers: { 'x-ledger-position': 'soon' } }), ['X-Ledger-Position'], 'header');
  });

  test('a malformed X-Ledger-Position is a 400 that names the header', async () => {
    const api = services[0] ?? (await startService({}));
    for (const value of ['abc', '0/', '1/2/3', '123456789/0', '0/16B3748G', '-1/0']) {
      for (const url of ['/v1/accounts', '/v1/transactions', `/v1/accounts/${'0190a000-0000-7000-8000-000000000000'}`]) {
        const response = await api.request('GET', url, { headers: { 'x-ledger-position': value } });
        assertInvalidFields(response, ['X-Ledger-Position'], 'header');
      }
    }
    const lowerCase = await api.request('GET', '/v1/accounts', { headers: { 'x-ledger-position': '0/16b3748' } });
    assert.equal(lowerCase.status, 200, 'hexadecimal digits in either case');
  });
});

function lsn(header: unknown): bigint {
  const [high, low] = String(header).split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

async function metricValue(api: Api, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${api.service.metricsUrl}`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}${labels} `));
  if (!line) return 0;
  const value = line.slice(line.lastIndexOf(' ') + 1);
  return value === '+Inf' ? Number.POSITIVE_INFINITY : Number(value);
}

async function readsBy(api: Api): Promise<{ replica: number; primary: number }> {
  return {
    replica: await metricValue(api, 'wallet_ledger_reads_total', '{source="replica"}'),
    primary: await metricValue(api, 'wallet_ledger_reads_total', '{source="primary"}'),
  };
}

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
