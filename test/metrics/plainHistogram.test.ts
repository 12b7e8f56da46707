// Proves that the request-path metrics count exactly what prom-client would: the plain histogram's
// text (cumulative buckets, +Inf, sum, count, escaped labels) and the tallied counter's totals
// across scrapes; and that the process metrics read at scrape carry their standard names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { PlainHistogram } from '../../src/metrics/plainHistogram.js';
import { registerProcessMetrics } from '../../src/metrics/processMetrics.js';
import { TalliedCounter } from '../../src/metrics/talliedCounter.js';

test('a plain histogram renders cumulative buckets, +Inf, sum and count per series', () => {
  const histogram = new PlainHistogram<'route' | 'status_code'>('demo_seconds', 'Demo\nhelp', [0.01, 0.1, 1]);
  const ok = histogram.seriesOf('a', () => ({ route: '/v1/x', status_code: '200' }));
  for (const value of [0.005, 0.01, 0.05, 0.5, 2]) ok.observe(value);
  // The same key is the same series: its labels are made once.
  histogram.seriesOf('a', () => assert.fail('labels made twice')).observe(0.2);
  histogram.seriesOf('b', () => ({ route: 'say "hi"\\', status_code: '500' })).observe(0.001);
  assert.equal(
    histogram.render(),
    [
      '# HELP demo_seconds Demo\\nhelp',
      '# TYPE demo_seconds histogram',
      'demo_seconds_bucket{route="/v1/x",status_code="200",le="0.01"} 2',
      'demo_seconds_bucket{route="/v1/x",status_code="200",le="0.1"} 3',
      'demo_seconds_bucket{route="/v1/x",status_code="200",le="1"} 5',
      'demo_seconds_bucket{route="/v1/x",status_code="200",le="+Inf"} 6',
      'demo_seconds_sum{route="/v1/x",status_code="200"} 2.765',
      'demo_seconds_count{route="/v1/x",status_code="200"} 6',
      'demo_seconds_bucket{route="say \\"hi\\"\\\\",status_code="500",le="0.01"} 1',
      'demo_seconds_bucket{route="say \\"hi\\"\\\\",status_code="500",le="0.1"} 1',
      'demo_seconds_bucket{route="say \\"hi\\"\\\\",status_code="500",le="1"} 1',
      'demo_seconds_bucket{route="say \\"hi\\"\\\\",status_code="500",le="+Inf"} 1',
      'demo_seconds_sum{route="say \\"hi\\"\\\\",status_code="500"} 0.001',
      'demo_seconds_count{route="say \\"hi\\"\\\\",status_code="500"} 1',
      '',
    ].join('\n'),
  );
});

test('a tallied counter hands every increment to prom-client at each scrape, once', async () => {
  const registry = new Registry();
  const outcomes = new TalliedCounter({ name: 'demo_total', help: 'Demo', labelNames: ['outcome'], registers: [registry] });
  const total = async (outcome: string) =>
    (await registry.getSingleMetric('demo_total')!.get()).values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
  for (let i = 0; i < 3; i++) outcomes.increment('created', () => ({ outcome: 'created' }));
  outcomes.increment('refused', () => ({ outcome: 'refused' }));
  assert.equal(await total('created'), 3);
  assert.equal(await total('refused'), 1);
  // A second scrape with nothing new adds nothing; new increments add on.
  assert.equal(await total('created'), 3);
  outcomes.increment('created', () => ({ outcome: 'created' }));
  assert.equal(await total('created'), 4);
  assert.match(await registry.metrics(), /^demo_total\{outcome="created"\} 4$/m);
});

test('the process metrics are read at scrape under their standard names', async () => {
  const registry = new Registry();
  registerProcessMetrics(registry);
  // Busy the main thread for a moment so the CPU and utilization readings have something to show.
  const until = Date.now() + 50;
  while (Date.now() < until);
  const text = await registry.metrics();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  assert.ok(value('process_cpu_seconds_total') >= 0.04, 'CPU time since the process started');
  assert.ok(value('process_resident_memory_bytes') > 1e6);
  assert.ok(value('process_open_fds') > 2);
  assert.ok(Math.abs(value('process_start_time_seconds') - (Date.now() / 1000 - process.uptime())) < 5);
  assert.ok(value('nodejs_heap_size_used_bytes') > 0 && value('nodejs_heap_size_total_bytes') > 0);
  assert.ok(value('nodejs_eventloop_lag_seconds') >= 0);
  const utilization = value('nodejs_eventloop_utilization_ratio');
  assert.ok(utilization > 0 && utilization <= 1, `utilization ${utilization}`);
});
