import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFile, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { migrateToLatest } from '../../src/db/migrations.js';
import { freePort } from './freePort.js';
import { serverOwner, type ServerOwner } from './serverOwner.js';

// A primary and a hot standby that streams from it, from the installed PostgreSQL 15 binaries:
// initdb, then pg_basebackup -R (which writes standby.signal and primary_conninfo). Run as root,
// both servers run as the `postgres` system user, which PostgreSQL requires. The standby's
// recovery_min_apply_delay can be set while it runs, to delay replication on purpose; the standby
// can be stopped and started again, as an outage would.

const BIN_DIR = '/usr/lib/postgresql/15/bin';
const SERVER_USER = 'postgres';
const DATABASE_NAME = 'ledger';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const run = promisify(execFile);

// synchronous_commit stays on, as in production; fsync is off unless asked for (the tests crash
// nothing but processes; the benchmark measures durable commits).
const SERVER_SETTINGS = [
  "listen_addresses = '127.0.0.1'",
  'max_connections = 100',
  'wal_keep_size = 256MB',
  // A standby's read that conflicts with replay waits this long before replay cancels it.
  'max_standby_streaming_delay = 5s',
  // A delay applied while the standby runs (setApplyDelay) lives in this file.
  "include_if_exists = 'apply_delay.conf'",
];

export interface StreamingReplica {
  /** A migrated database on the primary. */
  primaryUrl: string;
  /** The same database on the standby (read-only, hot standby). */
  replicaUrl: string;
  /** Sets the standby's recovery_min_apply_delay and waits until its replay obeys it. */
  setApplyDelay(ms: number): Promise<void>;
  /** Stops the standby (fast shutdown): connections to it are refused until startReplica. */
  stopReplica(): Promise<void>;
  /** Starts the standby again on its port; resolves once it accepts connections. */
  startReplica(): Promise<void>;
  /** The postmasters' process ids (the benchmark measures their CPU); undefined while stopped. */
  primaryPid(): number | undefined;
  replicaPid(): number | undefined;
  /** Stops both servers and removes their data. */
  stop(): Promise<void>;
}

export interface StreamingReplicaOptions {
  /** Keep fsync on (the benchmark); the tests turn it off. */
  fsync?: boolean;
}

export async function startStreamingReplica(options: StreamingReplicaOptions = {}): Promise<StreamingReplica> {
  const settings = [...SERVER_SETTINGS, `fsync = ${options.fsync ? 'on' : 'off'}`];
  const root = await mkdtemp(path.join(os.tmpdir(), 'ledger-test-replica-'));
  const owner = serverOwner();
  await chown(root, owner.uid, owner.gid);
  const servers: Array<ChildProcess | undefined> = [undefined, undefined];
  const stopAll = async () => {
    await Promise.all(servers.map((server) => stopServer(server)));
    await rm(root, { recursive: true, force: true });
  };
  try {
    const [primaryPort, replicaPort] = [await freePort(), await freePort()];
    const primaryDir = path.join(root, 'primary');
    const replicaDir = path.join(root, 'replica');
    await runAsServer(owner, 'initdb', ['-D', primaryDir, '-U', SERVER_USER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8', '--lc-messages=C']);
    await configure(primaryDir, primaryPort, root, settings);
    servers[0] = startServer(owner, primaryDir);
    const serverUrl = `postgres://${SERVER_USER}@127.0.0.1:${primaryPort}/postgres`;
    await waitUntilAccepting(serverUrl, servers[0]);
    await inSession(serverUrl, (client) => client.query(`CREATE DATABASE ${DATABASE_NAME}`));
    const primaryUrl = `postgres://${SERVER_USER}@127.0.0.1:${primaryPort}/${DATABASE_NAME}`;
    await migrateToLatest(primaryUrl);
    await runAsServer(owner, 'pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', SERVER_USER, '-D', replicaDir, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync']);
    await configure(replicaDir, replicaPort, root, settings);
    const replicaUrl = `postgres://${SERVER_USER}@127.0.0.1:${replicaPort}/${DATABASE_NAME}`;
    const startReplica = async () => {
      servers[1] = startServer(owner, replicaDir);
      await waitUntilAccepting(replicaUrl, servers[1]);
    };
    await startReplica();
    return {
      primaryUrl,
      replicaUrl,
      async setApplyDelay(ms) {
        await writeFile(path.join(replicaDir, 'apply_delay.conf'), `recovery_min_apply_delay = '${ms}ms'\n`);
        await chown(path.join(replicaDir, 'apply_delay.conf'), owner.uid, owner.gid);
        await inSession(replicaUrl, (client) => client.query('SELECT pg_reload_conf()'));
        await waitUntilApplyDelay(primaryUrl, replicaUrl, ms);
      },
      async stopReplica() {
        await stopServer(servers[1]);
        servers[1] = undefined;
      },
      startReplica,
      primaryPid: () => servers[0]?.pid,
      replicaPid: () => servers[1]?.pid,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function runAsServer(owner: ServerOwner, program: string, args: string[]): Promise<unknown> {
  return run(path.join(BIN_DIR, program), args, { uid: owner.uid, gid: owner.gid, env: { LC_ALL: 'C.UTF-8' } });
}

async function configure(dataDir: string, port: number, socketDir: string, settings: string[]): Promise<void> {
  // Later lines win: the standby's copy of the primary's file gets its own port appended.
  await appendFile(path.join(dataDir, 'postgresql.conf'), `\n${settings.join('\n')}\nport = ${port}\nunix_socket_directories = '${socketDir}'\n`);
}

function startServer(owner: ServerOwner, dataDir: string): ChildProcess {
  const child = spawn(path.join(BIN_DIR, 'postgres'), ['-D', dataDir], { uid: owner.uid, gid: owner.gid, env: { LC_ALL: 'C.UTF-8' }, stdio: 'ignore' });
  child.on('error', () => {});
  return child;
}

/** Fast shutdown (SIGINT): sessions end, the server exits cleanly. */
async function stopServer(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGINT');
  const timer = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function inSession<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function waitUntilAccepting(url: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode} while starting (${url})`);
    try {
      await inSession(url, (client) => client.query('SELECT 1'));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * The standby reads a reloaded setting when its startup process next handles its interrupts; a
 * commit made once every backend shows the new value and replayed after it proves the delay holds
 * (or, for 0, that replay is prompt again).
 */
async function waitUntilApplyDelay(primaryUrl: string, replicaUrl: string, ms: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const delaySetting = (client: pg.Client) => client.query<{ ms: string }>("SELECT setting AS ms FROM pg_settings WHERE name = 'recovery_min_apply_delay'");
  while (Number((await inSession(replicaUrl, delaySetting)).rows[0]!.ms) !== ms) {
    if (Date.now() > deadline) throw new Error(`recovery_min_apply_delay did not become ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // The position is read after the marker commits: one read inside its transaction precedes its commit record.
  const marker = await inSession(primaryUrl, async (client) => {
    await client.query('SELECT txid_current()');
    return client.query<{ position: string }>('SELECT pg_current_wal_insert_lsn()::text AS position');
  });
  const committedAt = Date.now();
  for (;;) {
    const caughtUp = await inSession(replicaUrl, (client) =>
      client.query<{ done: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [marker.rows[0]!.position]),
    );
    if (caughtUp.rows[0]!.done) break;
    if (Date.now() > deadline) throw new Error('the standby did not replay a marker commit');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const tookMs = Date.now() - committedAt;
  // A delay that did not take yet replays the marker at once; one that was lifted has left a queue behind it.
  if (ms > 0 && tookMs < ms * 0.8) throw new Error(`the standby replayed in ${tookMs} ms despite a ${ms} ms delay`);
}
