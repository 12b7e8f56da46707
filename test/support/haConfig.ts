import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/paths.js';

// The Patroni and HAProxy configuration the failover test runs on: the documented templates in
// docs/ha/, rendered with the test's hosts, ports, paths and timing, so that what the docs
// recommend is what the test proves.

const TEMPLATES_DIR = path.join(PROJECT_ROOT, 'docs/ha');
/** Everything runs on this machine, on loopback only. */
const HOST = '127.0.0.1';
/**
 * Patroni's timing for the tests (production: ttl 30, loop_wait 10, retry_timeout 10): the
 * standby takes over about 5 s after the primary's last leader-key renewal.
 */
export const TEST_TIMING = { TTL_S: 5, LOOP_WAIT_S: 1, RETRY_TIMEOUT_S: 2 };

export interface PatroniNodeConfig {
  scope: string;
  name: string;
  restPort: number;
  postgresPort: number;
  etcdClientPort: number;
  dataDir: string;
  /** Patroni's own files: the pgpass file and PostgreSQL's socket. */
  nodeDir: string;
  superuserPassword: string;
  replicationUser: string;
  replicationPassword: string;
}

export interface HaproxyServer {
  name: string;
  postgresPort: number;
  restPort: number;
}

/** Replaces every {{PLACEHOLDER}} of a docs/ha template; a placeholder without a value is an error. */
export async function renderTemplate(file: string, values: Record<string, string | number>): Promise<string> {
  const template = await readFile(path.join(TEMPLATES_DIR, file), 'utf8');
  return template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_match, name: string) => {
    if (!(name in values)) throw new Error(`docs/ha/${file}: no value for {{${name}}}`);
    return String(values[name]);
  });
}

export function patroniConfig(node: PatroniNodeConfig): Promise<string> {
  return renderTemplate('patroni.yml', {
    ...TEST_TIMING,
    SCOPE: node.scope,
    NODE_NAME: node.name,
    NODE_HOST: HOST,
    REST_PORT: node.restPort,
    ETCD_HOSTS: `${HOST}:${node.etcdClientPort}`,
    CLIENT_NETWORK: `${HOST}/32`,
    POSTGRES_PORT: node.postgresPort,
    DATA_DIR: node.dataDir,
    PGPASS_FILE: path.join(node.nodeDir, 'pgpass'),
    SOCKET_DIR: node.nodeDir,
    SUPERUSER_PASSWORD: node.superuserPassword,
    REPLICATION_USER: node.replicationUser,
    REPLICATION_PASSWORD: node.replicationPassword,
  });
}

export function haproxyConfig(listenPort: number, servers: HaproxyServer[]): Promise<string> {
  const values: Record<string, string | number> = { LISTEN_HOST: HOST, LISTEN_PORT: listenPort };
  servers.forEach((server, index) => {
    values[`NODE_${index + 1}_NAME`] = server.name;
    values[`NODE_${index + 1}_HOST`] = HOST;
    values[`NODE_${index + 1}_POSTGRES_PORT`] = server.postgresPort;
    values[`NODE_${index + 1}_REST_PORT`] = server.restPort;
  });
  return renderTemplate('haproxy.cfg', values);
}
