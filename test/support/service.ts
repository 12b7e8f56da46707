import type { LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import { createService, type Service } from '../../src/service.js';
import type { Clock } from '../../src/clock.js';
import { pino, type DestinationStream } from 'pino';
import { createTestDatabase, type TestDatabase } from './database.js';

// The real service (real PostgreSQL, real write path) on its own test database, driven through
// Fastify's inject (the full HTTP stack without a socket).

export const TEST_API_KEY = 'test-service-api-key-0123456789abcdef';

export interface TestService {
  service: Service;
  database: TestDatabase;
  config: Config;
  request(method: string, url: string, options?: RequestOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  idempotencyKey?: string;
  headers?: Record<string, string>;
  /** Send no X-Service-Api-Key header. */
  anonymous?: boolean;
}

export interface ApiResponse {
  status: number;
  headers: LightMyRequestResponse['headers'];
  body: any;
  raw: string;
}

/** `logTo` receives the service's log lines (at LOG_LEVEL, silent unless set). */
export async function startTestService(env: Record<string, string> = {}, clock?: Clock, logTo?: DestinationStream): Promise<TestService> {
  const database = await createTestDatabase();
  const api = await startServiceOn(database.url, env, clock, logTo);
  return {
    ...api,
    database,
    async close() {
      await api.close();
      await database.drop();
    },
  };
}

/** The service on a database the caller owns (a server of its own): closing it leaves the database. */
export async function startServiceOn(
  databaseUrl: string,
  env: Record<string, string> = {},
  clock?: Clock,
  logTo?: DestinationStream,
): Promise<Omit<TestService, 'database'>> {
  const config = loadConfig({
    ENVIRONMENT: 'test',
    SERVICE_API_KEY: TEST_API_KEY,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const logger = logTo ? pino({ level: config.logLevel }, logTo) : pino({ level: config.logLevel });
  const service = await createService(config, config.databaseUrl!, logger, clock);
  return {
    service,
    config,
    request: (method, url, options = {}) => inject(service, method, url, options),
    close: () => service.close(),
  };
}

async function inject(service: Service, method: string, url: string, options: RequestOptions): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (!options.anonymous) headers['x-service-api-key'] ??= TEST_API_KEY;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await service.app.inject({ method: method as 'GET', url, headers, payload });
  let body: unknown;
  try {
    body = response.body ? JSON.parse(response.body) : undefined;
  } catch {
    body = response.body;
  }
  return { status: response.statusCode, headers: response.headers, body, raw: response.body };
}

let keyCounter = 0;
/** A fresh Idempotency-Key. */
export function newKey(): string {
  keyCounter += 1;
  return `test-${process.pid}-${Date.now()}-${keyCounter}`;
}

/** Opens an account and deposits `funds` into it; returns its id. */
export async function fundedAccount(api: TestService, currency: string, funds: bigint): Promise<string> {
  const opened = await api.request('POST', '/v1/accounts', { body: { currency } });
  if (opened.status !== 201) throw new Error(`open account: ${opened.status} ${opened.raw}`);
  if (funds > 0n) {
    const deposit = await api.request('POST', '/v1/transactions/deposit', {
      body: { account_id: opened.body.id, amount: funds.toString() },
      idempotencyKey: newKey(),
    });
    if (deposit.status !== 201) throw new Error(`deposit: ${deposit.status} ${deposit.raw}`);
  }
  return opened.body.id;
}
