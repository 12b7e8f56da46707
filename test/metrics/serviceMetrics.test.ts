// Proves that the service exports its metrics on METRICS_PORT in Prometheus's text format, in both
// partition modes: requests by route pattern and status, write outcomes by problem code, replays,
// batches with their sizes and round trips, queue depths and the pool; that the API port does not
// serve them; and that METRICS_PORT=off keeps no metrics at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';

async function scrape(api: TestService): Promise<string> {
  const response = await fetch(api.service.metricsUrl!);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one series, e.g. value(text, 'wallet_ledger_batches_total', {round_trips: 'one'}). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const lines = text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
  const matching = lines.filter((line) => Object.entries(labels).every(([key, wanted]) => line.includes(`${key}="${wanted}"`)));
  return matching.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

for (const mode of ['inline', 'worker'] as const) {
  test(`${mode}: writes, refusals, replays and batches show in the metrics`, async () => {
    const api = await startTestService({ METRICS_PORT: '0', PARTITION_MODE: mode });
    try {
      const payer = await fundedAccount(api, 'USD', 100n);
      const payee = await fundedAccount(api, 'USD', 0n);
      const key = newKey();
      const transfer = { source_account_id: payer, destination_account_id: payee, amount: '30' };
      assert.equal((await api.request('POST', '/v1/transactions/transfer', { body: transfer, idempotencyKey: key })).status, 201);
      assert.equal((await api.request('POST', '/v1/transactions/transfer', { body: transfer, idempotencyKey: key })).status, 201);
      const tooMuch = { ...transfer, amount: '1000' };
      assert.equal((await api.request('POST', '/v1/transactions/transfer', { body: tooMuch, idempotencyKey: newKey() })).status, 422);
      assert.equal((await api.request('POST', '/v1/transactions/transfer', { body: { amount: 'x' }, idempotencyKey: newKey() })).status, 400);
      assert.equal((await api.request('GET', `/v1/accounts/${payer}`)).status, 200);

      const text = await scrape(api);
      const route = '/v1/transactions/transfer';
      assert.equal(value(text, 'wallet_ledger_write_outcomes_total', { route, outcome: 'created' }), 2);
      assert.equal(value(text, 'wallet_ledger_write_outcomes_total', { route, outcome: 'insufficient_funds' }), 1);
      assert.equal(value(text, 'wallet_ledger_write_outcomes_total', { route, outcome: 'validation_error' }), 1);
      assert.equal(value(text, 'wallet_ledger_idempotent_replays_total', { route }), 1);
      assert.equal(value(text, 'wallet_ledger_http_request_duration_seconds_count', { route: '/v1/accounts/:id', method: 'GET', status_code: '200' }), 1);
      const refused = { route, method: 'POST', status_code: '422' };
      assert.equal(value(text, 'wallet_ledger_http_request_duration_seconds_bucket', { ...refused, le: '+Inf' }), 1);
      assert.equal(value(text, 'wallet_ledger_http_request_duration_seconds_bucket', { ...refused, le: '10' }), 1);
      assert.ok(value(text, 'wallet_ledger_http_request_duration_seconds_sum', refused) > 0);
      assert.match(text, /^# TYPE wallet_ledger_http_request_duration_seconds histogram$/m);
      // Ids never become labels: the read above is counted under its route pattern.
      assert.doesNotMatch(text, new RegExp(payer));
      // Two accounts, two deposits, one transfer and one refusal reached the partitions (the
      // replay was answered from the stored key, in a batch of its own).
      const batches = value(text, 'wallet_ledger_batches_total');
      assert.ok(batches >= 6, `batches: ${batches}`);
      assert.equal(value(text, 'wallet_ledger_batch_size_count'), batches);
      assert.equal(value(text, 'wallet_ledger_batch_size_sum'), batches);
      assert.ok(value(text, 'wallet_ledger_batches_total', { round_trips: 'one' }) >= 1);
      assert.ok(value(text, 'wallet_ledger_batch_commit_seconds_sum') > 0);
      assert.equal(value(text, 'wallet_ledger_partition_queue_depth', { partition: '0' }), 0);
      assert.equal(value(text, 'wallet_ledger_partition_queue_max'), api.config.queueMax);
      assert.match(text, /^wallet_ledger_db_pool_waiting \d+$/m);
      assert.match(text, /^wallet_ledger_ready 1$/m);
      assert.match(text, /^process_cpu_seconds_total /m);

      const onApiPort = await api.request('GET', '/metrics');
      assert.equal(onApiPort.status, 404);
      assert.equal((await fetch(api.service.metricsUrl!.replace('/metrics', '/'))).status, 404);
    } finally {
      await api.close();
    }
  });
}

test('METRICS_PORT=off: no metrics server and no request is measured', async () => {
  const api = await startTestService({ METRICS_PORT: 'off' });
  try {
    assert.equal(api.service.metricsUrl, undefined);
    assert.equal((await api.request('GET', '/healthz')).status, 200);
  } finally {
    await api.close();
  }
});
