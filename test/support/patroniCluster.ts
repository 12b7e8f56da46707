import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrateToLatest } from '../../src/db/migrations.js';
import { freePort } from './freePort.js';
import { haproxyConfig, patroniConfig } from './haConfig.js';
import { serverOwner } from './serverOwner.js';
import { isAlive, killNow, processTreeOf } from './processTree.js';
import { waitFor } from './waitFor.js';

// A real high-availability PostgreSQL: one etcd, two PostgreSQL 15 nodes managed by Patroni
// (synchronous replication), and HAProxy routing to whichever node Patroni's REST API calls the
// primary. Patroni and HAProxy run on the configuration documented in docs/ha/ (haConfig.ts).

const PATRONI = '/usr/bin/patroni';
const ETCD = '/usr/bin/etcd';
const HAPROXY = '/usr/sbin/haproxy';
const NODE_COUNT = 2;
const START_TIMEOUT_MS = 60_000;
/** Generous: a REST call or probe shares two cores with the whole load. */
const REST_TIMEOUT_MS = 5_000;
const DATABASE_NAME = 'ledger';
const SERVICE_USER = 'ledger_app';
const REPLICATION_USER = 'replicator';
const OUTPUT_TAIL_CHARS = 20_000;

export interface PatroniNode {
  name: string;
  postgresPort: number;
  restPort: number;
  dataDir: string;
  patroni: ChildProcess;
  output(): string;
}

export interface PatroniCluster {
  nodes: PatroniNode[];
  /** The ledger database through HAProxy, as the service's login (a member of wallet_ledger_service). */
  serviceUrl: string;
  /** The ledger database through HAProxy, as the superuser (migrations, checks). */
  adminUrl: string;
  /** Waits until a node's Patroni REST API answers GET /primary with 200: the primary. */
  primary(timeoutMs: number): Promise<PatroniNode>;
  /** Waits until a node other than `formerPrimary` is the primary and HAProxy routes writes to it. */
  waitForNewPrimary(formerPrimary: PatroniNode, timeoutMs: number): Promise<PatroniNode>;
  /** Kills a node as a machine loss would: its Patroni and every PostgreSQL process, SIGKILL. */
  killNode(node: PatroniNode): Promise<void>;
  /** Everything Patroni, etcd and HAProxy wrote, for a failing test's message. */
  output(): string;
  /** Kills every process of the cluster and removes its files. */
  stop(): Promise<void>;
}

interface Started {
  child: ChildProcess;
  output(): string;
}

export async function startPatroniCluster(): Promise<PatroniCluster> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ledger-test-patroni-'));
  // Run as root, PostgreSQL and Patroni run as the `postgres` user, which must enter this folder.
  await chmod(root, 0o755);
  const processes: Started[] = [];
  const nodes: PatroniNode[] = [];
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    const pids = killAll(processes, nodes);
    await waitFor('the cluster gone', async () => [...pids].every((pid) => !isAlive(pid)), START_TIMEOUT_MS).catch(() => {});
    await rm(root, { recursive: true, force: true });
  };
  const killOnExit = () => killAll(processes, nodes);
  // A test process that dies without calling stop() still takes the cluster with it.
  process.once('exit', killOnExit);
  try {
    const secrets = { superuser: randomHex(), replication: randomHex(), service: randomHex() };
    const etcdPort = await startEtcd(root, processes);
    const scope = `ledger-${randomHex().slice(0, 8)}`;
    for (let index = 1; index <= NODE_COUNT; index += 1) {
      nodes.push(await startNode(root, `node${index}`, { scope, etcdPort, secrets }, processes));
    }
    // Started before the cluster is ready: HAProxy counts a server up until its first check fails,
    // and by the time the cluster is ready, every check has run many times.
    const haproxyPort = await startHaproxy(root, nodes, processes);
    await waitForReplicatedCluster(nodes);
    const serverUrl = `postgres://postgres:${secrets.superuser}@127.0.0.1:${haproxyPort}`;
    await createLedgerDatabase(serverUrl, secrets.service);
    return {
      nodes,
      serviceUrl: `postgres://${SERVICE_USER}:${secrets.service}@127.0.0.1:${haproxyPort}/${DATABASE_NAME}`,
      adminUrl: `${serverUrl}/${DATABASE_NAME}`,
      primary: (timeoutMs) => waitForPrimary(nodes, timeoutMs),
      waitForNewPrimary: (formerPrimary, timeoutMs) => waitForNewPrimary(nodes, formerPrimary, `${serverUrl}/postgres`, timeoutMs),
      killNode: (node) => killNode(node),
      output: () => processes.map((started) => started.output()).join('\n'),
      stop,
    };
  } catch (error) {
    const output = processes.map((started) => started.output()).join('\n');
    await stop();
    throw new Error(`the Patroni cluster did not start: ${(error as Error).message}\n${output}`);
  }
}

function randomHex(): string {
  return randomBytes(12).toString('hex');
}

function startProcess(label: string, command: string, args: string[], options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): Started {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS));
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  child.on('error', (error) => (output += `\n${error.message}`));
  return { child, output: () => `--- ${label}\n${output}` };
}

async function startEtcd(root: string, processes: Started[]): Promise<number> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcd = startProcess('etcd', ETCD, [
    '--name', 'etcd0', '--data-dir', path.join(root, 'etcd'),
    '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `etcd0=${peerUrl}`, '--initial-cluster-state', 'new', '--logger', 'zap', '--log-level', 'warn',
  ]);
  processes.push(etcd);
  await waitFor('etcd healthy', async () => (await getStatus(`${clientUrl}/health`)) === 200, START_TIMEOUT_MS);
  return clientPort;
}

interface NodeSettings {
  scope: string;
  etcdPort: number;
  secrets: { superuser: string; replication: string };
}

async function startNode(root: string, name: string, settings: NodeSettings, processes: Started[]): Promise<PatroniNode> {
  const nodeDir = path.join(root, name);
  await mkdir(nodeDir, { mode: 0o700 });
  const owner = serverOwner();
  await chown(nodeDir, owner.uid, owner.gid);
  const [postgresPort, restPort] = [await freePort(), await freePort()];
  const dataDir = path.join(nodeDir, 'data');
  const config = await patroniConfig({
    scope: settings.scope,
    name,
    restPort,
    postgresPort,
    etcdClientPort: settings.etcdPort,
    dataDir,
    nodeDir,
    superuserPassword: settings.secrets.superuser,
    replicationUser: REPLICATION_USER,
    replicationPassword: settings.secrets.replication,
  });
  const configFile = path.join(nodeDir, 'patroni.yml');
  await writeFile(configFile, config, { mode: 0o600 });
  await chown(configFile, owner.uid, owner.gid);
  const patroni = startProcess(`patroni ${name}`, PATRONI, [configFile], {
    ...owner,
    env: { PATH: process.env.PATH, HOME: nodeDir, LC_ALL: 'C.UTF-8' },
  });
  processes.push(patroni);
  return { name, postgresPort, restPort, dataDir, patroni: patroni.child, output: patroni.output };
}

/** A primary, and the other node streaming from it as its synchronous standby. */
async function waitForReplicatedCluster(nodes: PatroniNode[]): Promise<void> {
  await waitFor('a primary and a synchronous standby', async () => {
    const statuses = await Promise.all(nodes.map(async (node) => [await restStatus(node, '/primary'), await restStatus(node, '/sync')]));
    return statuses.filter(([primary]) => primary === 200).length === 1 && statuses.filter(([, sync]) => sync === 200).length === 1;
  }, START_TIMEOUT_MS);
}

async function startHaproxy(root: string, nodes: PatroniNode[], processes: Started[]): Promise<number> {
  const listenPort = await freePort();
  const configFile = path.join(root, 'haproxy.cfg');
  await writeFile(configFile, await haproxyConfig(listenPort, nodes));
  // -db: stay in the foreground, as a child process the test can kill.
  processes.push(startProcess('haproxy', HAPROXY, ['-db', '-f', configFile]));
  return listenPort;
}

/** The ledger database, migrated through HAProxy, and the service's login role. */
async function createLedgerDatabase(serverUrl: string, servicePassword: string): Promise<void> {
  await waitFor('HAProxy routing to the primary', () => isWritable(`${serverUrl}/postgres`), START_TIMEOUT_MS);
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
  await migrateToLatest(`${serverUrl}/${DATABASE_NAME}`);
  const ledger = new pg.Client({ connectionString: `${serverUrl}/${DATABASE_NAME}` });
  await ledger.connect();
  try {
    // CREATE ROLE takes no parameters; the password is our own random hex.
    await ledger.query(`CREATE ROLE ${SERVICE_USER} LOGIN PASSWORD '${servicePassword}' IN ROLE wallet_ledger_service`);
  } finally {
    await ledger.end();
  }
}

async function isWritable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: REST_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
    return rows[0]!.recovering === false;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function findPrimary(nodes: PatroniNode[]): Promise<PatroniNode | undefined> {
  const statuses = await Promise.all(nodes.map((node) => restStatus(node, '/primary')));
  return nodes[statuses.indexOf(200)];
}

function waitForPrimary(nodes: PatroniNode[], timeoutMs: number): Promise<PatroniNode> {
  return waitFor('a primary', () => findPrimary(nodes), timeoutMs);
}

async function waitForNewPrimary(nodes: PatroniNode[], formerPrimary: PatroniNode, probeUrl: string, timeoutMs: number): Promise<PatroniNode> {
  return waitFor('a new primary', async () => {
    const promoted = await findPrimary(nodes.filter((node) => node !== formerPrimary));
    return promoted !== undefined && (await isWritable(probeUrl)) && promoted;
  }, timeoutMs);
}

/** The node's Patroni, then its postmaster and every backend, all SIGKILL: nothing shuts down cleanly. */
async function killNode(node: PatroniNode): Promise<void> {
  const pids = nodePids(node);
  for (const pid of pids) killNow(pid);
  await waitFor(`${node.name} gone`, async () => pids.every((pid) => !isAlive(pid)), START_TIMEOUT_MS);
}

function nodePids(node: PatroniNode): number[] {
  const patroni = isRunning(node.patroni) ? processTreeOf(node.patroni.pid!) : [];
  const postmaster = postmasterPid(node.dataDir);
  return [...patroni, ...(postmaster !== undefined && isAlive(postmaster) ? processTreeOf(postmaster) : [])];
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Patroni starts the postmaster detached from itself: its pid is in the data directory. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

/** Synchronous, so that it also runs from an 'exit' hook. Returns the pids it signalled. */
function killAll(processes: Started[], nodes: PatroniNode[]): Set<number> {
  const pids = new Set([...nodes.flatMap(nodePids), ...processes.filter(({ child }) => isRunning(child)).map(({ child }) => child.pid!)]);
  for (const pid of pids) killNow(pid);
  return pids;
}

async function restStatus(node: PatroniNode, endpoint: string): Promise<number> {
  return getStatus(`http://127.0.0.1:${node.restPort}${endpoint}`);
}

/** The HTTP status of a GET, or 0 when nothing answered. */
async function getStatus(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(REST_TIMEOUT_MS) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}
