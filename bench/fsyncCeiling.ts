import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

// The disk's fsync ceiling under the database's data directory: PostgreSQL's own `pg_test_fsync`,
// which times each sync method writing and syncing 8 kB blocks. A commit waits for one WAL flush
// (the server's wal_sync_method); group commit puts a whole batch of writes behind each flush.

/** Seconds per method: pg_test_fsync runs about 15 tests, so a run takes about 15 times this. */
const SECONDS_PER_TEST = 2;

export interface FsyncCeiling {
  binary: string;
  secondsPerTest: number;
  /** Sync method to operations per second, for one 8 kB write and for two 8 kB writes per sync. */
  oneWrite: Record<string, number>;
  twoWrites: Record<string, number>;
  /** Unsynced 8 kB writes per second, for scale. */
  unsyncedWritesPerSecond?: number;
}

/** Runs pg_test_fsync with its test file in `folder` (on the disk to measure); undefined when it is not installed. */
export async function measureFsyncCeiling(folder: string): Promise<FsyncCeiling | undefined> {
  const binary = locatePgTestFsync();
  if (!binary) return undefined;
  const file = path.join(folder, 'pg_test_fsync.tmp');
  const output = await run(binary, ['-s', String(SECONDS_PER_TEST), '-f', file]);
  return { binary, secondsPerTest: SECONDS_PER_TEST, ...parsePgTestFsync(output) };
}

/** pg_test_fsync's report: the ops/sec of each method in the "one 8kB write" and "two 8kB writes" sections. */
export function parsePgTestFsync(output: string): Omit<FsyncCeiling, 'binary' | 'secondsPerTest'> {
  const oneWrite: Record<string, number> = {};
  const twoWrites: Record<string, number> = {};
  let section: Record<string, number> | undefined;
  let unsyncedWritesPerSecond: number | undefined;
  let inUnsynced = false;
  for (const line of output.split('\n')) {
    if (/^Compare file sync methods using one 8kB write/.test(line)) section = oneWrite;
    else if (/^Compare file sync methods using two 8kB writes/.test(line)) section = twoWrites;
    // A section ends at its blank line; its header's second line is a remark in brackets.
    else if (line.trim() === '') section = undefined;
    if (/^Non-sync'ed 8kB writes/.test(line)) inUnsynced = true;
    const measured = /^\s+(\S+)\s+([\d.]+) ops\/sec/.exec(line);
    if (!measured) continue;
    if (section) section[measured[1]!] = Number(measured[2]);
    else if (inUnsynced) unsyncedWritesPerSecond = Number(measured[2]);
  }
  if (Object.keys(oneWrite).length === 0) throw new Error(`pg_test_fsync printed no sync method figures:\n${output.slice(0, 2000)}`);
  return { oneWrite, twoWrites, ...(unsyncedWritesPerSecond === undefined ? {} : { unsyncedWritesPerSecond }) };
}

function run(binary: string, args: string[]): Promise<string> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`pg_test_fsync exited with code ${code}: ${stderr.slice(-1000)}`))));
  });
}

/** PostgreSQL's own folders (newest first), then PATH, as the pgbench binary is found. */
function locatePgTestFsync(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const candidate = path.join(root, version, 'bin', 'pg_test_fsync');
      if (existsSync(candidate)) return candidate;
    }
  }
  const which = spawnSync('sh', ['-c', 'command -v pg_test_fsync'], { encoding: 'utf8' });
  const onPath = which.stdout?.trim();
  return which.status === 0 && onPath ? onPath : undefined;
}
