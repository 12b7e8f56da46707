// Proves that account controls hold across two service replicas on one database: a replica that
// remembers an account from its own last commit never posts against settings another replica
// changed since (freeze, close, a lowered overdraft limit), because a PATCH bumps the version the
// one-round-trip lock compares; that a PATCH racing postings from the other replica either names
// the ETag they left (412 otherwise) or takes effect before every later debit; and that verify holds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { createService, type Service } from '../../src/service.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { fundedAccount, newKey, startTestService, TEST_API_KEY, type ApiResponse, type TestService } from '../support/service.js';
import { assertProblem } from './helpers.js';

const RACERS = 40;

describe('account controls across two replicas', () => {
  let api: TestService;
  let second: Service;
  before(async () => {
    api = await startTestService({ PARTITIONS: '4' });
    second = await createService(api.config, api.database.url, pino({ level: 'silent' }));
  });
  after(async () => {
    await second.close();
    await api.close();
  });

  async function send(replica: Service, method: 'POST' | 'PATCH' | 'GET', url: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const response = await replica.app.inject({
      method,
      url,
      headers: {
        'x-service-api-key': TEST_API_KEY,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'POST' ? { 'idempotency-key': newKey() } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body), raw: response.body };
  }

  const withdraw = (replica: Service, id: string, amount: string) => send(replica, 'POST', '/v1/transactions/withdraw', { account_id: id, amount });
  const deposit = (replica: Service, id: string, amount: string) => send(replica, 'POST', '/v1/transactions/deposit', { account_id: id, amount });
  const patch = (replica: Service, id: string, body: unknown, ifMatch = '*') => send(replica, 'PATCH', `/v1/accounts/${id}`, body, { 'if-match': ifMatch });

  test('a replica that remembers the account refuses a debit after the other froze it', async () => {
    const id = await fundedAccount(api, 'USD', 100n);
    assert.equal((await withdraw(second, id, '1')).status, 201);
    assert.equal((await patch(api.service, id, { status: 'frozen' })).status, 200);
    assertProblem(await withdraw(second, id, '1'), 422, 'account_frozen');
  });

  test('a replica that remembers an overdraft limit does not overdraw after the other lowered it', async () => {
    const id = await fundedAccount(api, 'USD', 10n);
    assert.equal((await patch(api.service, id, { overdraft_limit: '100' })).status, 200);
    assert.equal((await withdraw(second, id, '1')).status, 201);
    assert.equal((await patch(api.service, id, { overdraft_limit: '0' })).status, 200);
    assertProblem(await withdraw(second, id, '50'), 422, 'insufficient_funds');
    assert.equal((await send(api.service, 'GET', `/v1/accounts/${id}`)).body.balance, '9');
  });

  test('a replica that remembers the account refuses a deposit after the other closed it', async () => {
    const id = await fundedAccount(api, 'USD', 5n);
    assert.equal((await withdraw(second, id, '5')).status, 201);
    assert.equal((await patch(api.service, id, { status: 'closed' })).status, 200);
    assertProblem(await deposit(second, id, '1'), 422, 'account_closed');
  });

  test('a freeze racing withdrawals from the other replica takes effect before every later debit', async () => {
    const id = await fundedAccount(api, 'USD', 1_000n);
    assert.equal((await withdraw(second, id, '1')).status, 201);
    const stale = String((await send(api.service, 'GET', `/v1/accounts/${id}`)).headers.etag);
    const withdrawals = Array.from({ length: RACERS }, () => withdraw(second, id, '1'));
    const freezes = [patch(api.service, id, { status: 'frozen' }, stale), patch(api.service, id, { status: 'frozen' })];
    const [debits, [conditional, unconditional]] = await Promise.all([Promise.all(withdrawals), Promise.all(freezes)]);
    // The ETag read before the race is still current only when the conditional PATCH came first.
    assert.ok([200, 412].includes(conditional!.status), conditional!.raw);
    assert.equal(unconditional!.status, 200, unconditional!.raw);
    for (const debit of debits) assert.ok(debit.status === 201 || debit.body.code === 'account_frozen', debit.raw);

    const history = (await send(api.service, 'GET', `/v1/accounts/${id}/history`)).body.data as Array<{ version: number; changes: { status?: { to: string } } }>;
    const frozeAt = Math.min(...history.filter((row) => row.changes.status?.to === 'frozen').map((row) => row.version));
    const posted = debits.filter((debit) => debit.status === 201);
    const sequences = posted.map((debit) => debit.body.entries[0].sequence as number);
    assert.ok(sequences.every((sequence) => sequence < frozeAt), `debits ${sequences} after the freeze at ${frozeAt}`);
    if (conditional!.status === 200) assert.equal(posted.length, 0);
    const account = (await send(api.service, 'GET', `/v1/accounts/${id}`)).body;
    assert.equal(account.balance, String(999 - posted.length));
    assert.equal(account.status, 'frozen');
  });

  test('the ledger invariants hold afterwards', async () => {
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
  });
});
