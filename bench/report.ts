import { SERVICE_CONFIGURATIONS } from './plan.js';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { baselineMeasurementName, headlineBaselines } from './headlineBaseline.js';
import { pairLines } from './holdReport.js';
import { relayChartBars, relayTableRows, relayTargetLines } from './relayReport.js';
import type { BenchReport, Measurement } from './results.js';

// The run's outputs: a table on stdout, the full figures as JSON and a bar chart as SVG.

const MEBIBYTE = 1024 * 1024;
const STATEMENTS_SHOWN = 5;

export async function writeReport(report: BenchReport, folder: string): Promise<{ jsonPath: string; svgPath: string }> {
  await mkdir(folder, { recursive: true });
  const stamp = report.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const jsonPath = path.join(folder, `${stamp}.json`);
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const svgPath = path.join(folder, 'latest.svg');
  await writeFile(svgPath, await renderChart(report));
  return { jsonPath, svgPath };
}

export function formatTable(report: BenchReport): string {
  const header = ['#', 'scenario', 'system', 'req/s', 'vs base', 'vs project', 'p50 ms', 'p99 ms', 'p99.9 ms', 'non-2xx', 'main µs/write', 'CPU % svc/pg/load/other of busy'];
  const rows = report.measurements.map((m) => [
    String(m.scenario),
    m.name,
    systemLabel(m),
    m.throughput.toLocaleString('en-US'),
    versusBase(m),
    m.ratioToProjectSchemaBaseline === undefined ? '' : `${m.ratioToProjectSchemaBaseline.toFixed(2)}x`,
    latency(m, 'p50'),
    latency(m, 'p99'),
    latency(m, 'p99_9'),
    m.http ? String(m.http.non2xx + m.http.errors + m.http.timeouts) : String(m.pgbench?.failed ?? ''),
    m.mainThreadCpu?.microsecondsPerWrite == null ? '' : `${m.mainThreadCpu.microsecondsPerWrite} (${m.mainThreadCpu.percent.toFixed(0)}%)`,
    cpu(m),
  ]);
  if (report.relay) rows.push(...relayTableRows(report.relay));
  const lines = [...aligned([header, ...rows])];
  if (report.relay) lines.push('', ...relayTargetLines(report.relay));
  lines.push('', ...baselineLines(report.measurements), ...pairLines(report.measurements), ...stallLines(report.measurements), '');
  for (const service of report.services) {
    const rss = service.peakRssBytes === undefined ? 'n/a' : `${(service.peakRssBytes / MEBIBYTE).toFixed(0)} MiB`;
    lines.push(`service ${service.configuration}: peak RSS (VmHWM) ${rss}, ${service.threads ?? '?'} threads, exit code ${service.exitCode}`);
  }
  lines.push('', 'PostgreSQL backends of the system under test, average count by wait | state | statement (top 4):');
  for (const m of report.measurements) {
    const batch = m.operationsPerBatch === undefined ? '' : `, ${m.operationsPerBatch} operations per batch`;
    lines.push(`  ${m.scenario} ${m.name} [${m.system === 'pgbench' ? systemLabel(m) : m.serviceConfiguration}${batch}]`);
    for (const w of m.waits.slice(0, 4)) lines.push(`    ${w.backends.toFixed(2).padStart(5)}  ${w.wait} | ${w.state} | ${w.statement}`);
  }
  if (report.measurements.some((m) => m.statements)) lines.push('', ...statementLines(report.measurements));
  lines.push('');
  lines.push(`ledger check after the run: ${report.ledgerCheck.passed ? 'all invariants hold' : report.ledgerCheck.problems.join('; ')}` +
    ` (${report.ledgerCheck.transactions.toLocaleString('en-US')} ledger transactions)`);
  const plainCheck = report.plainBaselineLedgerCheck;
  if (plainCheck) lines.push(`ledger check of the plain baseline's tables: ${plainCheck.passed ? 'all invariants hold' : plainCheck.problems.join('; ')}`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

function systemLabel(m: Measurement): string {
  if (m.system === 'service') return `service ${m.serviceConfiguration}`;
  return m.baselineTables === 'plain' ? `pgbench plain, ${m.plainVariant}, ${m.connections} clients` : `pgbench project schema, ${m.connections} clients`;
}

/** The ratio to the headline baseline and the plain variant it is; the headline plain row itself says `base`. */
function versusBase(m: Measurement): string {
  if (m.headlineBaseline) return 'base';
  return m.ratioToBaseline === undefined ? '' : `${m.ratioToBaseline.toFixed(2)}x ${m.baseline}, ${m.baselineVariant}`;
}

/** The plain baseline's client sweeps: which client count each variant was measured at, and which variant is the headline. */
function baselineLines(measurements: Measurement[]): string[] {
  return measurements.flatMap((m) => (m.clientSweep
    ? [`${m.scenario} ${m.name} [pgbench plain, ${m.plainVariant}]: measured at ${m.connections} clients, the fastest of ` +
       m.clientSweep.map((tried) => `${tried.variant ? `${tried.variant} ` : ''}${tried.clients} (${tried.transactionsPerSecond.toLocaleString('en-US')} tps)`).join(', ') +
       (m.headlineBaseline ? '; the faster plain variant: vs base divides by it' : '')]
    : []));
}

/** Fixed-rate runs: the slowest second, the generator's own longest pause and an idle process's (neither stall is the service's). */
function stallLines(measurements: Measurement[]): string[] {
  return measurements.flatMap((m) => {
    const slowest = m.http?.slowestSecond;
    if (!slowest) return [];
    return [`${m.scenario} ${m.name} [${m.serviceConfiguration}]: slowest answer ${slowest.maxMs} ms in second ${slowest.second}; ` +
      `the load generator's longest event-loop delay ${m.http!.generatorEventLoopMaxMs ?? '?'} ms; ` +
      `an idle probe process's ${m.http!.idleProbeMaxDelayMs ?? '?'} ms (the machine's own pauses)`];
  });
}

/** pg_stat_statements per measurement: share (average backends executing it)  mean ms × calls | statement. */
function statementLines(measurements: Measurement[]): string[] {
  const lines = [`PostgreSQL statements by execution time, share of the measurement  mean ms × calls | statement (top ${STATEMENTS_SHOWN}; ↳ inside a function or trigger, also counted in its caller):`];
  for (const m of measurements) {
    if (!m.statements) continue;
    lines.push(`  ${m.scenario} ${m.name} [${m.system === 'pgbench' ? systemLabel(m) : m.serviceConfiguration}]`);
    for (const s of m.statements.slice(0, STATEMENTS_SHOWN)) {
      const cost = `${s.meanMs.toFixed(3).padStart(7)} ms × ${s.calls.toLocaleString('en-US').padStart(7)}`;
      lines.push(`    ${s.share.toFixed(2).padStart(5)}  ${cost} | ${s.nested ? '↳ ' : ''}${s.statement}`);
    }
  }
  return lines;
}

function latency(m: Measurement, key: 'p50' | 'p99' | 'p99_9'): string {
  if (m.http) return m.http.latencyMs[key].toFixed(2);
  if (m.pgbench && key === 'p50') return `avg ${m.pgbench.latencyAverageMs.toFixed(2)}`;
  return '';
}

function cpu(m: Measurement): string {
  const c = m.cpuPercent;
  const load = m.system === 'pgbench' ? c.pgbench : c.load;
  return `${fixed(c.service)}/${fixed(c.postgres)}/${fixed(load)}/${fixed(c.other)} of ${fixed(c.machine)}`;
}

function fixed(value: number | undefined): string {
  return value === undefined ? '?' : value.toFixed(0);
}

function aligned(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column >= 3 && column <= 10 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd());
}

/** Throughput per scenario, service beside its pgbench baseline. */
async function renderChart(report: BenchReport): Promise<string> {
  const baselines = headlineBaselines(report.measurements);
  const values = report.measurements
    .filter((m) => m.system === 'service' && m.targetRate === undefined)
    .flatMap((m) => {
      const label = `${m.scenario} ${m.name}${m.serviceConfiguration === SERVICE_CONFIGURATIONS[0]!.name ? '' : ` (${m.serviceConfiguration})`}`;
      const bars = [{ scenario: label, system: 'service over HTTP', throughput: m.throughput }];
      const name = m.baseline && baselineMeasurementName(m.baseline);
      const baseline = name && baselines.get(name);
      if (baseline) bars.push({ scenario: label, system: `pgbench ${name}, plain tables, ${baseline.plainVariant}`, throughput: baseline.throughput });
      return bars;
    })
    .concat(report.relay ? relayChartBars(report.relay) : []);
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Wallet ledger: writes per second, service vs pgbench baseline',
      subtitle: `baseline: pgbench on plain tables, one SQL transaction per transfer (per step of a pair in 6), the faster of its two lock variants; ${report.settings.connections} HTTP connections, ${report.settings.durationSeconds} s each, ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.startedAt.slice(0, 10)}`,
    },
    width: { step: 26 },
    height: 300,
    data: { values },
    encoding: {
      x: { field: 'scenario', type: 'nominal', sort: null, title: null, axis: { labelAngle: -25, labelLimit: 220 } },
      xOffset: { field: 'system' },
      y: { field: 'throughput', type: 'quantitative', title: 'successful requests (writes, relay: events) per second' },
      color: { field: 'system', type: 'nominal', title: null, legend: { orient: 'top', labelLimit: 300 } },
    },
    layer: [
      { mark: 'bar' },
      { mark: { type: 'text', dy: -4, fontSize: 9 }, encoding: { text: { field: 'throughput', type: 'quantitative', format: ',' } } },
    ],
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
