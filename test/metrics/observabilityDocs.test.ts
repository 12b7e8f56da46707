// Proves that the alert rules and the Grafana dashboard in docs/observability/ name only metrics
// the service and the relay export, and that docs/observability.md describes every metric they
// export: a renamed metric cannot leave a silent alert or an empty panel behind.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { ServiceMetrics } from '../../src/metrics/serviceMetrics.js';
import { RelayMetrics } from '../../src/metrics/relayMetrics.js';
import { PROJECT_ROOT } from '../../src/paths.js';

const METRIC_NAME = /\b(?:wallet_ledger|process|nodejs)_[a-z0-9_]+\b/g;
const HISTOGRAM_SERIES = /_(bucket|count|sum)$/;

async function exportedNames(): Promise<Set<string>> {
  // A pool that never connects: reading its counts needs no database.
  const pool = new pg.Pool({ max: 1 });
  try {
    // What a scrape shows: one `# TYPE` line per metric.
    const texts = [await new ServiceMetrics(pool, async () => true).exposition(), await new RelayMetrics().exposition()];
    return new Set(texts.flatMap((text) => [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!)));
  } finally {
    await pool.end();
  }
}

function named(text: string): string[] {
  return [...new Set([...text.matchAll(METRIC_NAME)].map((match) => match[0]))];
}

function isExported(name: string, exported: Set<string>): boolean {
  return exported.has(name) || (HISTOGRAM_SERIES.test(name) && exported.has(name.replace(HISTOGRAM_SERIES, '')));
}

for (const file of ['alerts.yml', 'grafana-dashboard.json']) {
  test(`docs/observability/${file} names only exported metrics`, async () => {
    const exported = await exportedNames();
    const text = await readFile(path.join(PROJECT_ROOT, 'docs/observability', file), 'utf8');
    const names = named(text);
    assert.ok(names.length > 5, `${file} names metrics`);
    assert.deepEqual(names.filter((name) => !isExported(name, exported)), []);
  });
}

test('docs/observability.md describes every wallet_ledger metric', async () => {
  const exported = [...(await exportedNames())].filter((name) => name.startsWith('wallet_ledger_'));
  const text = await readFile(path.join(PROJECT_ROOT, 'docs/observability.md'), 'utf8');
  assert.deepEqual(exported.filter((name) => !text.includes(`\`${name}\``)), []);
});

test('the dashboard is valid JSON with a query in every panel', async () => {
  const dashboard = JSON.parse(await readFile(path.join(PROJECT_ROOT, 'docs/observability/grafana-dashboard.json'), 'utf8'));
  assert.ok(dashboard.panels.length > 10);
  for (const panel of dashboard.panels) assert.ok(panel.targets.every((target: { expr: string }) => target.expr.length > 0), panel.title);
});
