// Proves that the documented high-availability configuration (docs/ha/) renders completely with the
// failover test's values, that HAProxy accepts the rendered file, and that it recommends synchronous
// replication: the configuration the docs show is the one bankPrimaryFailover.test.ts runs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { haproxyConfig, patroniConfig, renderTemplate } from '../support/haConfig.js';

const run = promisify(execFile);

const NODE = {
  scope: 'ledger',
  name: 'node1',
  restPort: 8008,
  postgresPort: 5432,
  etcdClientPort: 2379,
  dataDir: '/var/lib/postgresql/data',
  nodeDir: '/var/lib/postgresql',
  superuserPassword: 'superuser-secret',
  replicationUser: 'replicator',
  replicationPassword: 'replication-secret',
};

test('patroni.yml renders with every placeholder filled, synchronous replication on', async () => {
  const config = await patroniConfig(NODE);
  assert.doesNotMatch(config, /\{\{/);
  assert.match(config, /^ {4}synchronous_mode: true$/m);
  assert.match(config, /^ {4}synchronous_mode_strict: false$/m);
  assert.match(config, /^ {4}ttl: 5$/m, 'the test timing');
  assert.match(config, /^ {2}bin_dir: \/usr\/lib\/postgresql\/15\/bin$/m);
});

test('haproxy.cfg renders and HAProxy accepts it (haproxy -c), checking GET /primary', async () => {
  const config = await haproxyConfig(5000, [
    { name: 'node1', postgresPort: 5432, restPort: 8008 },
    { name: 'node2', postgresPort: 5433, restPort: 8009 },
  ]);
  assert.doesNotMatch(config, /\{\{/);
  assert.match(config, /option httpchk GET \/primary/);
  assert.match(config, /on-marked-down shutdown-sessions/);
  const folder = await mkdtemp(path.join(os.tmpdir(), 'ledger-test-haproxy-'));
  try {
    const file = path.join(folder, 'haproxy.cfg');
    await writeFile(file, config);
    await run('/usr/sbin/haproxy', ['-c', '-f', file]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('a placeholder without a value is an error that names it', async () => {
  await assert.rejects(renderTemplate('haproxy.cfg', { LISTEN_HOST: '127.0.0.1' }), /docs\/ha\/haproxy\.cfg: no value for \{\{LISTEN_PORT\}\}/);
});
