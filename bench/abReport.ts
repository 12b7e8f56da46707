import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

// The same-run A/B's figures (ab.ts): per turn, per round B/A, and their mean per partition mode
// and scenario; printed as a table and written as JSON.

/** The scenarios an A/B turn can measure: the load generator's kinds of the same names. */
export const AB_SCENARIOS = ['uniform', 'hot', 'authorize_capture'] as const;
export type AbScenario = (typeof AB_SCENARIOS)[number];

export interface AbFigures {
  requestsPerSecond: number;
  p99Ms: number;
  /** Non-2xx answers, socket errors and timeouts: any makes the run exit 1. */
  failures: number;
  /** CPU time of the service's main thread per 201 answer, in microseconds. */
  mainThreadMicrosecondsPerWrite: number | null;
  firstFailure?: string;
}

export interface AbTurn {
  round: number;
  partitionMode: string;
  side: 'A' | 'B';
  /** The scenarios the run measured (BENCH_AB_SCENARIOS). */
  scenarios: Partial<Record<AbScenario, AbFigures>>;
}

export interface AbComparison {
  partitionMode: string;
  scenario: AbScenario;
  /** Mean req/s of each side over the rounds. */
  aRequestsPerSecond: number;
  bRequestsPerSecond: number;
  /** B / A of each round (its two turns), then their mean, lowest and highest. */
  roundRatios: number[];
  meanRatio: number;
  minRatio: number;
  maxRatio: number;
  aMainThreadMicrosecondsPerWrite: number | null;
  bMainThreadMicrosecondsPerWrite: number | null;
}

export interface AbReport {
  startedAt: string;
  finishedAt: string;
  a: { ref: string; commit: string };
  b: { ref: string; commit: string; uncommittedChanges: boolean };
  machine: { cpus: number; cpuModel: string; node: string; loadAverageAtStart: number[] };
  settings: { durationSeconds: number; warmupSeconds: number; connections: number; accounts: number; rounds: number; serviceEnvironment: Record<string, string>;
    /** Environment given to side B alone (absent in reports written before it existed). */
    sideBEnvironment?: Record<string, string>;
    /** 'previous': side A ran without the newest migration (BENCH_AB_A_SCHEMA). */
    aSchema?: 'previous';
  };
  database: { description: string; serverVersion: string; settings: Record<string, string> };
  turns: AbTurn[];
  summary: AbComparison[];
  ledgerCheck: { passed: boolean; problems: string[]; transactions: number };
}

/** The scenarios the turns measured, in the order of AB_SCENARIOS. */
export function scenariosOf(turns: AbTurn[]): AbScenario[] {
  return AB_SCENARIOS.filter((scenario) => turns.some((turn) => turn.scenarios[scenario]));
}

export function summarizeAb(turns: AbTurn[]): AbComparison[] {
  const modes = [...new Set(turns.map((turn) => turn.partitionMode))];
  return modes.flatMap((partitionMode) => scenariosOf(turns).map((scenario) => {
    const of = (side: 'A' | 'B') => turns.flatMap((t) => (t.partitionMode === partitionMode && t.side === side && t.scenarios[scenario] ? [t.scenarios[scenario]] : []));
    const rounds = [...new Set(turns.map((t) => t.round))];
    const roundRatios = rounds.flatMap((round) => {
      const pick = (side: 'A' | 'B') => turns.find((t) => t.round === round && t.partitionMode === partitionMode && t.side === side)?.scenarios[scenario];
      const a = pick('A');
      const b = pick('B');
      return a && b && a.requestsPerSecond > 0 ? [round3(b.requestsPerSecond / a.requestsPerSecond)] : [];
    });
    return {
      partitionMode, scenario,
      aRequestsPerSecond: Math.round(mean(of('A').map((f) => f.requestsPerSecond))),
      bRequestsPerSecond: Math.round(mean(of('B').map((f) => f.requestsPerSecond))),
      roundRatios,
      meanRatio: round3(mean(roundRatios)),
      minRatio: Math.min(...roundRatios),
      maxRatio: Math.max(...roundRatios),
      aMainThreadMicrosecondsPerWrite: meanOrNull(of('A').map((f) => f.mainThreadMicrosecondsPerWrite)),
      bMainThreadMicrosecondsPerWrite: meanOrNull(of('B').map((f) => f.mainThreadMicrosecondsPerWrite)),
    };
  }));
}

export function formatAbTable(report: AbReport): string {
  const lines = [`A = ${report.a.ref} (${report.a.commit.slice(0, 10)}), B = working tree (${report.b.commit.slice(0, 10)}${report.b.uncommittedChanges ? ' + uncommitted changes' : ''})`, ''];
  const scenarios = scenariosOf(report.turns);
  lines.push(`round  mode     side  ${scenarios.map((s) => `${`${s} req/s`.padStart(13)}  p99 ms  main µs/write`).join('  ')}  failures`);
  for (const t of report.turns) {
    const cells = scenarios.map((s) => {
      const f = t.scenarios[s]!;
      return `${String(f.requestsPerSecond).padStart(Math.max(13, s.length + 6))}  ${f.p99Ms.toFixed(1).padStart(6)}  ${String(f.mainThreadMicrosecondsPerWrite ?? '?').padStart(13)}`;
    });
    const failures = scenarios.reduce((sum, s) => sum + t.scenarios[s]!.failures, 0);
    lines.push(`${String(t.round).padStart(5)}  ${t.partitionMode.padEnd(7)}  ${t.side.padEnd(4)}  ${cells.join('  ')}  ${String(failures).padStart(8)}`);
  }
  lines.push('', 'B/A of req/s (each round pairs its two turns):');
  for (const c of report.summary) {
    lines.push(`  ${c.partitionMode.padEnd(7)} ${c.scenario.padEnd(17)} mean ${c.meanRatio.toFixed(3)} (rounds ${c.roundRatios.map((r) => r.toFixed(3)).join(', ')}; ` +
      `A ${c.aRequestsPerSecond} req/s, B ${c.bRequestsPerSecond} req/s; main thread µs/write A ${c.aMainThreadMicrosecondsPerWrite ?? '?'}, B ${c.bMainThreadMicrosecondsPerWrite ?? '?'})`);
  }
  lines.push('', `ledger check after the run: ${report.ledgerCheck.passed ? 'all invariants hold' : report.ledgerCheck.problems.join('; ')}`);
  return lines.join('\n');
}

/** bench/results/ab-<time>-<ref>.json: the ref's name made safe for a file name. */
export async function writeAbReport(report: AbReport, folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const stamp = report.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const ref = report.a.ref.replace(/[^A-Za-z0-9._-]+/g, '_');
  const jsonPath = path.join(folder, `ab-${stamp}-${ref}-vs-working-tree.json`);
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  return jsonPath;
}

function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function meanOrNull(values: Array<number | null>): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : Math.round(mean(known));
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
