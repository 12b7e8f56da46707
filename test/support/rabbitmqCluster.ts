import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { canConnect, freePort } from './freePort.js';

// A real three-node RabbitMQ cluster on this machine, from Debian's rabbitmq-server: one node
// name, AMQP port and distribution port per node, one Erlang cookie, and an epmd of its own on a
// free port (so it never meets another test's nodes). The first node boots alone; the other two
// boot together and join it at boot through classic peer discovery, which saves the
// stop_app / join_cluster / start_app round of rabbitmqctl per node. One rabbitmqctl call then
// checks that all three run as one cluster. stop() kills every node and the epmd, and removes the files.

const NODE_COUNT = 3;
const START_TIMEOUT_MS = 90_000;
const CONTROL_TIMEOUT_MS = 60_000;
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const RABBITMQCTL = '/usr/lib/rabbitmq/bin/rabbitmqctl';
const EPMD = 'epmd';
/** rabbitmqctl takes the first free port of a range this wide above RABBITMQ_CTL_DIST_PORT_MIN. */
const CONTROL_DIST_PORT_RANGE = 10;

const run = promisify(execFile);

export interface ClusterNode {
  /** The Erlang node name, e.g. `ledgerq41234a@localhost`. */
  name: string;
  port: number;
  url: string;
}

export interface RabbitmqCluster {
  nodes: ClusterNode[];
  /** Every node's URL, comma-separated, as BROKER_URL takes them. */
  brokerUrl: string;
  /** SIGKILLs the node's whole process group: no shutdown, no goodbye to its peers. */
  kill(node: ClusterNode): Promise<void>;
  /** Runs rabbitmqctl against `node` and returns its standard output. */
  control(node: ClusterNode, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

interface NodeProcess extends ClusterNode {
  environment: NodeJS.ProcessEnv;
  child?: ChildProcess;
}

export async function startRabbitmqCluster(): Promise<RabbitmqCluster> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ledger-test-rabbit-cluster-'));
  const epmdPort = await freePort();
  const shared = await sharedEnvironment(root, epmdPort);
  const epmd = spawn(EPMD, ['-port', String(epmdPort), '-address', '127.0.0.1'], { env: shared, stdio: 'ignore' });
  const nodes: NodeProcess[] = [];
  // A test process that dies without its after() hook still takes the cluster with it.
  const killAll = () => {
    for (const node of nodes) if (node.child) killGroup(node.child);
    epmd.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', killAll);
  const cluster: RabbitmqCluster = {
    nodes,
    brokerUrl: '',
    kill: async (node) => killNode(nodes.find((candidate) => candidate.name === node.name)!),
    control: (node, args) => control(shared, node, args),
    stop: async () => {
      process.removeListener('exit', killAll);
      await Promise.all(nodes.map(killNode));
      epmd.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await waitForPort(epmdPort, START_TIMEOUT_MS, 'epmd');
    const names = Array.from({ length: NODE_COUNT }, (_, index) => `ledgerq${epmdPort}${String.fromCharCode(97 + index)}@localhost`);
    for (const name of names) nodes.push(await prepareNode(root, shared, name, names[0]!));
    cluster.brokerUrl = nodes.map((node) => node.url).join(',');
    await startNode(nodes[0]!);
    await Promise.all(nodes.slice(1).map(startNode));
    await requireOneCluster(cluster, nodes[0]!, names);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** What every node and every rabbitmqctl call share: the cookie (in HOME), the epmd, the CLI's ports. */
async function sharedEnvironment(root: string, epmdPort: number): Promise<NodeJS.ProcessEnv> {
  await writeFile(path.join(root, '.erlang.cookie'), randomBytes(16).toString('hex'), { mode: 0o400 });
  const controlDistPort = await freePort();
  return {
    ...process.env,
    HOME: root,
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_CTL_DIST_PORT_MIN: String(controlDistPort),
    RABBITMQ_CTL_DIST_PORT_MAX: String(Math.min(65_535, controlDistPort + CONTROL_DIST_PORT_RANGE)),
  };
}

async function prepareNode(root: string, shared: NodeJS.ProcessEnv, name: string, seed: string): Promise<NodeProcess> {
  const directory = path.join(root, name.split('@')[0]!);
  await mkdir(directory);
  const [port, distPort] = [await freePort(), await freePort()];
  const pluginsFile = path.join(directory, 'enabled_plugins');
  await writeFile(pluginsFile, '[].\n');
  // Every node but the seed finds the seed at boot and joins it.
  const discovery = name === seed ? [] : ['cluster_formation.peer_discovery_backend = classic_config', `cluster_formation.classic_config.nodes.1 = ${seed}`];
  await writeFile(path.join(directory, 'rabbitmq.conf'), [...discovery, ''].join('\n'));
  const environment = {
    ...shared,
    RABBITMQ_NODENAME: name,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none',
    RABBITMQ_MNESIA_BASE: path.join(directory, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(directory, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: pluginsFile,
    RABBITMQ_CONFIG_FILE: path.join(directory, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(directory, 'advanced.config'),
    RABBITMQ_PID_FILE: path.join(directory, 'rabbit.pid'),
  };
  return { name, port, url: `amqp://guest:guest@127.0.0.1:${port}`, environment };
}

async function startNode(node: NodeProcess): Promise<void> {
  node.child = spawn(RABBITMQ_SERVER, [], { env: node.environment, stdio: 'ignore', detached: true });
  await waitForPort(node.port, START_TIMEOUT_MS, node.name);
}

async function killNode(node: NodeProcess): Promise<void> {
  const running = node.child;
  node.child = undefined;
  if (!running || running.exitCode !== null || running.signalCode !== null) return;
  const exited = new Promise((resolve) => running.once('exit', resolve));
  killGroup(running);
  await exited;
}

/** The Erlang VM runs in its own process group (its start script, the VM, its port programs): end all of it. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {}
}

async function control(shared: NodeJS.ProcessEnv, node: ClusterNode, args: string[]): Promise<string> {
  const { stdout } = await run(RABBITMQCTL, ['-n', node.name, ...args], { env: shared, timeout: CONTROL_TIMEOUT_MS });
  return stdout;
}

/** A node that could not reach the seed boots alone; catch that here rather than as a confusing test failure. */
async function requireOneCluster(cluster: RabbitmqCluster, node: ClusterNode, names: string[]): Promise<void> {
  const status = JSON.parse(await cluster.control(node, ['cluster_status', '--formatter', 'json'])) as { running_nodes: string[] };
  const running = [...status.running_nodes].sort();
  if (running.join() !== [...names].sort().join()) throw new Error(`the cluster runs ${running.join(', ')}, not ${names.join(', ')}`);
}

async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms`);
}
