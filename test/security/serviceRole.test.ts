// Proves that the wallet_ledger_service database role holds exactly the documented grants, cannot
// UPDATE, DELETE or TRUNCATE ledger rows even with the immutability triggers dropped, and is
// enough for the whole service: writes, reads, replays, readiness, the idempotency purge and the relay's SQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/db/pool.js';
import { purgeExpiredIdempotencyKeys } from '../../src/ledger/sql/purgeExpiredIdempotencyKeys.js';
import { inDbTransaction } from '../../src/db/pool.js';
import { claimDueEvents } from '../../src/relay/sql/claimDueEvents.js';
import { markPublished } from '../../src/relay/sql/markPublished.js';
import { moveToDeadLetter } from '../../src/relay/sql/moveToDeadLetter.js';
import { purgePublished } from '../../src/relay/sql/purgePublished.js';
import { recordFailure } from '../../src/relay/sql/recordFailure.js';
import { replayDeadLetters } from '../../src/relay/sql/replayDeadLetters.js';
import { createService, type Service } from '../../src/service.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_API_KEY } from '../support/service.js';
import { createServiceLogin, SERVICE_ROLE, type ServiceLogin } from './serviceLogin.js';

const INSUFFICIENT_PRIVILEGE = '42501';
const PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] as const;

/** The documented grants (docs/design.md, "Database role"); every other table privilege must be absent. */
const EXPECTED_GRANTS: Record<string, string[]> = {
  ledger_transactions: ['SELECT', 'INSERT'],
  ledger_entries: ['SELECT', 'INSERT'],
  accounts: ['SELECT', 'INSERT', 'UPDATE'],
  holds: ['SELECT', 'INSERT', 'UPDATE'],
  hold_changes: ['SELECT', 'INSERT'],
  account_history: ['SELECT', 'INSERT'],
  idempotency_keys: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  outbox: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  dead_letter: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  pgmigrations: ['SELECT'],
};

describe('the wallet_ledger_service database role', () => {
  let database: TestDatabase;
  let login: ServiceLogin;
  before(async () => {
    database = await createTestDatabase();
    login = await createServiceLogin();
  });
  after(async () => {
    await database.drop();
    await login.drop();
  });

  test('it is a NOLOGIN role with exactly the documented table privileges and usage of every sequence', async () => {
    const role = await database.pool.query(`SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls
      FROM pg_roles WHERE rolname = $1`, [SERVICE_ROLE]);
    assert.deepEqual(role.rows, [{ rolcanlogin: false, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false }]);

    const tables = await database.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const granted: Record<string, string[]> = {};
    for (const { table_name: table } of tables.rows) {
      const held: string[] = [];
      for (const privilege of PRIVILEGES) {
        const { rows } = await database.pool.query(`SELECT has_table_privilege($1, $2, $3) AS held`, [SERVICE_ROLE, `public.${table}`, privilege]);
        if (rows[0].held) held.push(privilege);
      }
      if (held.length > 0) granted[table] = held;
    }
    assert.deepEqual(granted, EXPECTED_GRANTS);

    const sequences = await database.pool.query(`SELECT sequence_name, has_sequence_privilege($1, 'public.' || sequence_name, 'USAGE') AS usable
      FROM information_schema.sequences WHERE sequence_schema = 'public'`, [SERVICE_ROLE]);
    assert.ok(sequences.rows.length > 0, 'the outbox id sequence exists');
    for (const row of sequences.rows) assert.equal(row.usable, true, row.sequence_name);
  });

  test('with the immutability triggers dropped, the role still cannot UPDATE, DELETE or TRUNCATE ledger rows', async () => {
    await seedOneDeposit(database.url);
    const triggersBefore = await countLedgerTriggers();
    const client = await database.pool.connect();
    try {
      await client.query('BEGIN');
      // As the admin, inside a transaction that is rolled back: the triggers are really gone.
      for (const trigger of ['ledger_entries_immutable', 'ledger_entries_no_truncate']) {
        await client.query(`DROP TRIGGER ${trigger} ON ledger_entries`);
      }
      for (const trigger of ['ledger_transactions_immutable', 'ledger_transactions_no_truncate']) {
        await client.query(`DROP TRIGGER ${trigger} ON ledger_transactions`);
      }
      await client.query(`SET LOCAL ROLE ${SERVICE_ROLE}`);
      for (const statement of [
        `UPDATE ledger_entries SET amount = amount + 1`,
        `DELETE FROM ledger_entries`,
        `TRUNCATE ledger_entries CASCADE`,
        `UPDATE ledger_transactions SET description = 'edited'`,
        `DELETE FROM ledger_transactions`,
        `TRUNCATE ledger_transactions CASCADE`,
        `DELETE FROM accounts`,
      ]) {
        await client.query('SAVEPOINT attempt');
        await assert.rejects(client.query(statement), (error: { code?: string; message: string }) => {
          assert.equal(error.code, INSUFFICIENT_PRIVILEGE, `${statement}: ${error.message}`);
          assert.match(error.message, /permission denied/);
          return true;
        });
        await client.query('ROLLBACK TO SAVEPOINT attempt');
      }
      // The control: the same UPDATE as the admin now succeeds, so it was the grant that stopped the role.
      await client.query('RESET ROLE');
      const edited = await client.query(`UPDATE ledger_entries SET amount = amount + 1`);
      assert.ok((edited.rowCount ?? 0) > 0);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    assert.equal(await countLedgerTriggers(), triggersBefore, 'the rolled-back transaction restored every trigger');
    assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool)), []);
  });

  async function countLedgerTriggers(): Promise<number> {
    const triggers = await database.pool.query(`SELECT count(*)::int AS n FROM pg_trigger
      WHERE tgrelid IN ('ledger_entries'::regclass, 'ledger_transactions'::regclass) AND NOT tgisinternal`);
    return triggers.rows[0].n;
  }

  test('the service runs as a login that is only a member of the role: every endpoint, replay, purge and relay SQL', async () => {
    const url = login.urlFor(database.url);
    const config = loadConfig({ ENVIRONMENT: 'test', SERVICE_API_KEY: TEST_API_KEY, DATABASE_URL: url, LOG_LEVEL: 'silent' });
    const service = await createService(config, url, pino({ level: 'silent' }));
    const rolePool = createPool(url, 2, { applicationName: 'wallet-ledger-role-test' });
    try {
      const who = await rolePool.query(`SELECT current_user AS name`);
      assert.equal(who.rows[0].name, login.name);
      await driveEveryEndpoint(service);
      assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool)), []);
      assert.equal(await purgeExpiredIdempotencyKeys(rolePool, new Date(Date.now() + 400 * 24 * 3_600_000), 1000) > 0, true);
      await runRelaySql(rolePool);
    } finally {
      await rolePool.end();
      await service.close();
    }
    // The relay SQL purged the published events, so only the balances are checked again.
    assert.deepEqual(describeViolations(await checkLedgerInvariants(database.pool, new Date())), []);
  });
});

async function call(service: Service, method: string, url: string, body?: unknown, idempotencyKey?: string) {
  const headers: Record<string, string> = { 'x-service-api-key': TEST_API_KEY };
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const response = await service.app.inject({ method: method as 'GET', url, headers, payload: body === undefined ? undefined : (body as object) });
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, raw: response.body };
}

async function driveEveryEndpoint(service: Service): Promise<void> {
  const expect = async (status: number, method: string, url: string, body?: unknown, key?: string) => {
    const response = await call(service, method, url, body, key);
    assert.equal(response.status, status, `${method} ${url}: ${response.raw}`);
    return response;
  };
  const first = (await expect(201, 'POST', '/v1/accounts', { currency: 'USD', external_ref: 'role-test-1' }, 'role-open-1')).body.id;
  const second = (await expect(201, 'POST', '/v1/accounts', { currency: 'USD' })).body.id;
  await expect(409, 'POST', '/v1/accounts', { currency: 'USD', external_ref: 'role-test-1' });
  await expect(201, 'POST', '/v1/transactions/deposit', { account_id: first, amount: '1000' }, 'role-deposit');
  const replay = await expect(201, 'POST', '/v1/transactions/deposit', { account_id: first, amount: '1000' }, 'role-deposit');
  const transfer = (await expect(201, 'POST', '/v1/transactions/transfer', {
    source_account_id: first, destination_account_id: second, amount: '400',
  }, 'role-transfer')).body.id;
  await expect(201, 'POST', '/v1/transactions/withdraw', { account_id: second, amount: '100' }, 'role-withdraw');
  await expect(422, 'POST', '/v1/transactions/withdraw', { account_id: second, amount: '1000' }, 'role-too-much');
  await expect(422, 'POST', '/v1/transactions/deposit', { account_id: first, amount: '1' }, 'role-deposit');
  await expect(200, 'GET', `/v1/transactions/${transfer}`);
  assert.equal((await expect(200, 'GET', `/v1/accounts/${first}`)).body.balance, '600');
  assert.equal((await expect(200, 'GET', `/v1/accounts/${second}/entries?limit=1`)).body.data.length, 1);
  const hold = (await expect(201, 'POST', '/v1/holds', { source_account_id: first, destination_account_id: second, amount: '50' }, 'role-hold')).body.id;
  const capture = (await expect(201, 'POST', `/v1/holds/${hold}/capture`, { amount: '20' }, 'role-capture')).body.id;
  const voided = (await expect(201, 'POST', '/v1/holds', { source_account_id: first, amount: '5' }, 'role-hold-2')).body.id;
  await expect(200, 'POST', `/v1/holds/${voided}/void`, {}, 'role-void');
  await expect(201, 'POST', `/v1/transactions/${capture}/reverse`, { amount: '5' }, 'role-reverse');
  await expect(200, 'GET', `/v1/holds/${hold}`);
  await expect(200, 'GET', `/v1/accounts/${first}/holds`);
  assert.equal((await expect(200, 'GET', `/v1/accounts/${first}`)).body.balance, '585');
  await expect(200, 'GET', '/readyz');
  assert.equal(replay.body.id !== undefined, true);
}

/** The relay's statements, in the order a failing then replayed event goes through them. */
async function runRelaySql(pool: pg.Pool): Promise<void> {
  const claimed = await inDbTransaction(pool, (client) => claimDueEvents(client, 100));
  assert.ok(claimed.length >= 4, `claimed ${claimed.length} events`);
  const [failing, ...published] = claimed;
  await inDbTransaction(pool, async (client) => {
    await recordFailure(client, [{ id: failing!.id, error: 'role test', retryDelayMs: 0 }]);
    await moveToDeadLetter(client, [{ id: failing!.id, error: 'role test' }]);
    await markPublished(client, published.map((row) => row.id));
  });
  assert.equal(await replayDeadLetters(pool, { all: true }), 1);
  assert.equal(await purgePublished(pool, 0, 1000), published.length);
}

async function seedOneDeposit(url: string): Promise<void> {
  const config = loadConfig({ ENVIRONMENT: 'test', SERVICE_API_KEY: TEST_API_KEY, DATABASE_URL: url, LOG_LEVEL: 'silent' });
  const service = await createService(config, url, pino({ level: 'silent' }));
  try {
    const account = await call(service, 'POST', '/v1/accounts', { currency: 'EUR' });
    const deposit = await call(service, 'POST', '/v1/transactions/deposit', { account_id: account.body.id, amount: '5' }, 'role-seed');
    assert.equal(deposit.status, 201, deposit.raw);
  } finally {
    await service.close();
  }
}
