import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dockerAvailable } from './docker.js';
import { canConnect, freePort } from './freePort.js';

// A real RabbitMQ for the test run: TEST_BROKER_URL when given, a container where a Docker engine
// answers, otherwise Debian's rabbitmq-server started as a child process on free ports.

const START_TIMEOUT_MS = 60_000;
// The real start script; /usr/sbin/rabbitmq-server would switch to the rabbitmq user and its dirs.
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface RabbitmqServer {
  url: string;
  description: string;
  stop(): Promise<void>;
}

export async function startRabbitmqServer(): Promise<RabbitmqServer> {
  const given = process.env.TEST_BROKER_URL;
  if (given) return { url: given, description: 'TEST_BROKER_URL', stop: async () => {} };
  if (await dockerAvailable()) return startContainer();
  return startLocalBroker();
}

async function startContainer(): Promise<RabbitmqServer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('rabbitmq:3-alpine')
    .withExposedPorts(5672)
    .withWaitStrategy(Wait.forLogMessage(/Server startup complete/))
    .start();
  return {
    url: `amqp://guest:guest@${container.getHost()}:${container.getMappedPort(5672)}`,
    description: 'testcontainers rabbitmq:3-alpine',
    stop: async () => void (await container.stop()),
  };
}

/** A broker started from the installed binaries, which tests can halt and start again (outages). */
export interface LocalBroker extends RabbitmqServer {
  port: number;
  /** Stops the broker but keeps its files; start() brings it back on the same port. */
  halt(): Promise<void>;
  start(): Promise<void>;
}

export async function startLocalBroker(): Promise<LocalBroker> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ledger-test-rabbit-'));
  const port = await freePort();
  const distPort = await freePort();
  const nodeName = `ledger${port}@localhost`;
  const pluginsFile = path.join(root, 'enabled_plugins');
  await writeFile(pluginsFile, '[].\n');
  const env = {
    ...process.env,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_MNESIA_BASE: path.join(root, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(root, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: pluginsFile,
    RABBITMQ_CONFIG_FILE: path.join(root, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(root, 'advanced.config'),
    RABBITMQ_PID_FILE: path.join(root, 'rabbit.pid'),
    HOME: root,
  };
  let child: ChildProcess | undefined;
  const broker: LocalBroker = {
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    description: `rabbitmq-server on port ${port}`,
    async start() {
      child = spawn(RABBITMQ_SERVER, [], { env, stdio: 'ignore', detached: true });
      await waitForPort(port, START_TIMEOUT_MS);
    },
    async halt() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      // The Erlang VM runs in its own process group: end all of it.
      try {
        process.kill(-running.pid!, 'SIGTERM');
      } catch {}
      await Promise.race([exited, delay(15_000)]);
      try {
        process.kill(-running.pid!, 'SIGKILL');
      } catch {}
      await waitForPortClosed(port, 10_000);
    },
    async stop() {
      await broker.halt();
      await rm(root, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}


async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return;
    await delay(200);
  }
  throw new Error(`rabbitmq-server did not listen on port ${port} within ${timeoutMs} ms`);
}

async function waitForPortClosed(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await canConnect(port))) return;
    await delay(200);
  }
}
