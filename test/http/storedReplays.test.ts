// Proves idempotency keys stored by earlier versions replay byte for byte (a row inserted as they
// wrote it: a body, a hold's body among them, or a posting's transaction id, replayed without the
// fields transactions gained with holds and reversals), and that what is stored under a key today is byte for byte what
// earlier versions stored for the same request, plus those additive fields.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fundedAccount, newKey, startTestService, type TestService } from '../support/service.js';

let api: TestService;
let account: string;

before(async () => {
  api = await startTestService();
  account = await fundedAccount(api, 'USD', 0n);
});
after(() => api.close());

async function storedRow(key: string) {
  const found = await api.database.pool.query<{ fingerprint: string; status_code: number; response_body: string | null; transaction_id: string | null }>(
    'SELECT fingerprint, status_code, response_body, transaction_id FROM idempotency_keys WHERE key = $1',
    [key],
  );
  assert.equal(found.rowCount, 1, `a row is stored under ${key}`);
  return found.rows[0]!;
}

/** Stores an outcome under `key` the way earlier versions wrote it, for the request `fingerprint` names. */
async function storeAsBefore(key: string, fingerprint: string, statusCode: number, body: string | null, transactionId: string | null) {
  await api.database.pool.query(
    `INSERT INTO idempotency_keys (key, fingerprint, status_code, response_body, transaction_id, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, now(), now() + interval '1 hour')`,
    [key, fingerprint, statusCode, body, transactionId],
  );
}

/** A posted transaction's body with the fields in the order earlier versions rendered them. */
async function postingBodyAsBefore(transactionId: string): Promise<string> {
  const [transaction] = (await api.database.pool.query(
    `SELECT id, type, status, amount::text, currency, source_account_id, destination_account_id, description, metadata, created_at
     FROM ledger_transactions WHERE id = $1`, [transactionId])).rows;
  const entries = (await api.database.pool.query(
    `SELECT id, transaction_id, account_id, direction, amount::text, balance_after::text, sequence, created_at
     FROM ledger_entries WHERE transaction_id = $1 ORDER BY direction DESC`, [transactionId])).rows;
  return JSON.stringify({
    id: transaction.id, type: transaction.type, status: transaction.status, amount: transaction.amount, currency: transaction.currency,
    source_account_id: transaction.source_account_id, destination_account_id: transaction.destination_account_id,
    description: transaction.description, metadata: transaction.metadata, created_at: transaction.created_at.toISOString(),
    entries: entries.map((entry) => ({
      id: entry.id, transaction_id: entry.transaction_id, account_id: entry.account_id, direction: entry.direction,
      amount: entry.amount, balance_after: entry.balance_after, sequence: Number(entry.sequence), created_at: entry.created_at.toISOString(),
    })),
  });
}

/** An earlier version's posting body with the fields transactions gained since, as a new posting answers. */
function withHoldAndReversalFields(before: string): string {
  return before.replace(/,"entries":/, ',"reversed_amount":"0","hold_id":null,"reverses_transaction_id":null,"entries":');
}

test('a posting stored by an earlier version (by transaction id) replays byte for byte', async () => {
  const body = { account_id: account, amount: '25', description: 'stored before', metadata: { b: 1, a: [true, null] } };
  const key = newKey();
  const first = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
  assert.equal(first.status, 201);
  const asBefore = await postingBodyAsBefore(first.body.id);
  assert.equal(first.raw, withHoldAndReversalFields(asBefore), 'a posting is answered as earlier versions answered it, plus the new fields');
  const replayNow = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: key });
  assert.equal(replayNow.raw, first.raw);

  const earlierKey = newKey();
  const { fingerprint } = await storedRowOf(first.body.id);
  await storeAsBefore(earlierKey, fingerprint, 201, null, first.body.id);
  const replay = await api.request('POST', '/v1/transactions/deposit', { body, idempotencyKey: earlierKey });
  assert.equal(replay.status, 201);
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  assert.equal(replay.raw, asBefore, 'a key stored by an earlier version replays the answer it gave');
});

test('a rejection stored by an earlier version replays its stored bytes, not a new rendering', async () => {
  const body = { account_id: account, amount: '1000' };
  const probeKey = newKey();
  const probe = await api.request('POST', '/v1/transactions/withdraw', { body, idempotencyKey: probeKey });
  assert.equal(probe.status, 422);
  // Stored as earlier versions stored it, facts and all, when the account held less.
  const storedBefore = `{"type":"urn:problem-type:wallet-ledger:insufficient_funds","title":"Insufficient funds","status":422,` +
    `"detail":"Account ${account} has 7 USD available, 1000 needed","code":"insufficient_funds","account_id":"${account}",` +
    `"available_balance":"7","amount":"1000"}`;
  const earlierKey = newKey();
  await storeAsBefore(earlierKey, (await storedRow(probeKey)).fingerprint, 422, storedBefore, null);
  const replay = await api.request('POST', '/v1/transactions/withdraw', { body, idempotencyKey: earlierKey });
  assert.equal(replay.status, 422);
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  assert.match(String(replay.headers['content-type']), /^application\/problem\+json/);
  assert.equal(replay.raw, storedBefore);
});

test('what is stored under a key is what earlier versions stored for the same request', async () => {
  const withdrawKey = newKey();
  const balance = (await api.request('GET', `/v1/accounts/${account}`)).body.balance as string;
  await api.request('POST', '/v1/transactions/withdraw', { body: { account_id: account, amount: '5000' }, idempotencyKey: withdrawKey });
  const rejection = await storedRow(withdrawKey);
  assert.equal(rejection.status_code, 422);
  assert.equal(rejection.transaction_id, null);
  assert.equal(rejection.response_body, `{"type":"urn:problem-type:wallet-ledger:insufficient_funds","title":"Insufficient funds",` +
    `"status":422,"detail":"Account ${account} has ${balance} USD available, 5000 needed","code":"insufficient_funds",` +
    `"account_id":"${account}","available_balance":"${balance}","amount":"5000"}`);

  const openKey = newKey();
  const opened = await api.request('POST', '/v1/accounts', { body: { currency: 'EUR', external_ref: `ref-${openKey}`, metadata: { z: 1, a: 2 } }, idempotencyKey: openKey });
  const { created_at: createdAt, id } = opened.body;
  const stored = await storedRow(openKey);
  assert.equal(stored.status_code, 201);
  assert.equal(stored.response_body, `{"id":"${id}","kind":"user","currency":"EUR","balance":"0","available_balance":"0",` +
    `"pending_debits":"0","pending_credits":"0",` +
    `"status":"active","overdraft_limit":"0","external_ref":"ref-${openKey}","metadata":{"a":2,"z":1},"version":0,"created_at":"${createdAt}","updated_at":"${createdAt}"}`);
  assert.equal(opened.raw, stored.response_body);

  const depositKey = newKey();
  const deposited = await api.request('POST', '/v1/transactions/deposit', { body: { account_id: account, amount: '3' }, idempotencyKey: depositKey });
  const posting = await storedRow(depositKey);
  assert.deepEqual([posting.status_code, posting.response_body, posting.transaction_id], [201, null, deposited.body.id]);
});

test("a hold's answer stored whole by an earlier version replays its stored bytes", async () => {
  const source = await fundedAccount(api, 'USD', 50n);
  const body = { source_account_id: source, amount: '20', metadata: { order: 'o-9' } };
  const key = newKey();
  const first = await api.request('POST', '/v1/holds', { body, idempotencyKey: key });
  assert.equal(first.status, 201);
  const { fingerprint } = (await api.database.pool.query('SELECT fingerprint FROM idempotency_keys WHERE key = $1', [key])).rows[0];
  // Earlier versions stored the hold's body itself; this one, written as they wrote it, differs in a byte the row does not have.
  const storedBefore = first.raw.replace('"order":"o-9"', '"order":"o-8"');
  const earlierKey = newKey();
  await storeAsBefore(earlierKey, fingerprint, 201, storedBefore, null);
  const replay = await api.request('POST', '/v1/holds', { body, idempotencyKey: earlierKey });
  assert.equal(replay.status, 201);
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  assert.equal(replay.raw, storedBefore);
});

/** The stored row of the key whose posting made this transaction. */
async function storedRowOf(transactionId: string) {
  const found = await api.database.pool.query<{ fingerprint: string }>('SELECT fingerprint FROM idempotency_keys WHERE transaction_id = $1', [transactionId]);
  return found.rows[0]!;
}
