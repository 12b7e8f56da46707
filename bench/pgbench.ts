import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Progress, note } from './progress.js';

// Runs a baseline's pgbench script (transferScripts.ts, holdScripts.ts) against the same database,
// plain SQL database transactions, and reads pgbench's report.

export interface BaselineSamples {
  /** A request fingerprint the service stored, so the baseline writes as many bytes. */
  fingerprint: string;
}

export interface BaselineResult {
  transactions: number;
  failed: number;
  transactionsPerSecond: number;
  latencyAverageMs: number;
  /** pgbench -r: average latency of each statement of the script, in milliseconds. */
  statementLatencyMs: Array<{ ms: number; statement: string }>;
}

export interface RunningBaseline {
  pid: number;
  result: Promise<BaselineResult>;
}

export async function startBaseline(options: {
  binary: string;
  databaseUrl: string;
  /** The script's text and a file name for it (pgbench's report names the file). */
  script: { name: string; text: string };
  clients: number;
  durationSeconds: number;
  samples: BaselineSamples;
  label: string;
}): Promise<RunningBaseline> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'ledger-bench-pgbench-'));
  const scriptPath = path.join(folder, `${options.script.name}.sql`);
  await writeFile(scriptPath, options.script.text);
  const child = spawn(options.binary, [
    '--no-vacuum', '--protocol=prepared', '--report-per-command', '--progress=1',
    `--client=${options.clients}`, `--jobs=${Math.min(options.clients, os.cpus().length)}`, `--time=${options.durationSeconds}`,
    `--file=${scriptPath}`,
    '-D', `fingerprint=${options.samples.fingerprint}`,
  ], { env: { ...process.env, ...libpqEnvironment(options.databaseUrl) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const result = collect(child, new Progress(options.label, options.durationSeconds)).finally(() => rm(folder, { recursive: true, force: true }));
  return { pid: child.pid!, result };
}

function collect(child: ReturnType<typeof spawn>, progress: Progress): Promise<BaselineResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const match of chunk.toString().matchAll(/progress: ([\d.]+) s, ([\d.]+) tps.*?(\d+) failed/g)) {
      progress.update(Math.round(Number(match[1])), Math.round(Number(match[2])), Number(match[3]), 'tps');
    }
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`pgbench exited with code ${code}:\n${stderr.slice(-2000)}`));
      const parsed = parseReport(stdout);
      progress.finish(`${parsed.transactionsPerSecond.toLocaleString('en-US')} tps${parsed.failed ? `, ${parsed.failed} FAILED` : ''}`);
      resolve(parsed);
    });
  });
}

export function parseReport(stdout: string): BaselineResult {
  const number = (pattern: RegExp) => Number(stdout.match(pattern)?.[1] ?? Number.NaN);
  const statementLatencyMs = [...stdout.matchAll(/^\s+([\d.]+)\s+\d+\s+(.+)$/gm)].map((match) => ({
    ms: Number(match[1]),
    statement: match[2]!.trim().slice(0, 80),
  }));
  const transactions = number(/number of transactions actually processed: (\d+)/);
  return {
    transactions,
    failed: number(/number of failed transactions: (\d+)/) || 0,
    // pgbench prints no rate when no transaction finished (a client count too high for the machine).
    transactionsPerSecond: transactions === 0 ? 0 : Math.round(number(/tps = ([\d.]+)/)),
    latencyAverageMs: number(/latency average = ([\d.]+) ms/),
    statementLatencyMs,
  };
}

function libpqEnvironment(databaseUrl: string): Record<string, string> {
  const url = new URL(databaseUrl);
  return {
    PGHOST: url.hostname,
    PGPORT: url.port || '5432',
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: url.pathname.slice(1),
  };
}

/** The pgbench binary: PostgreSQL's own folder first, then PATH, then an apt-get install where allowed. */
export function findPgbench(): string {
  const found = locate();
  if (found) return found;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    note('pgbench is missing: installing it with apt-get (Debian ships it in the postgresql-NN server package)');
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    const depends = spawnSync('apt-cache', ['depends', 'postgresql'], { encoding: 'utf8' }).stdout ?? '';
    const versioned = depends.match(/Depends: (postgresql-\d+)\b/)?.[1] ?? 'postgresql';
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', versioned], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    const installed = locate();
    if (installed) return installed;
  }
  throw new Error(
    'pgbench was not found. Install it (Debian/Ubuntu: apt-get install postgresql-15, or the postgresql-NN of your ' +
      'release; macOS: brew install postgresql) and run the benchmark again.',
  );
}

function locate(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const candidate = path.join(root, version, 'bin', 'pgbench');
      if (existsSync(candidate)) return candidate;
    }
  }
  const which = spawnSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' });
  const onPath = which.stdout?.trim();
  return which.status === 0 && onPath ? onPath : undefined;
}
