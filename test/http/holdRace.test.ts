// Proves that 50 concurrent captures and voids of one hold, spread over two service replicas on one
// database, have exactly one winner (a 201 capture or a 200 void) while every other request gets
// 409 hold_not_pending naming the winner's status; that the hold's money moved at most once and its
// reservation was released once; for several holds, to a wallet and for a withdrawal, one after
// the other and all at once; that 50 concurrent reversals of one transaction over both replicas
// never reverse more than it moved; that a hold one replica created and the other captured is
// answered from the database by the first (409, or the stored capture replayed), whatever that
// replica remembers; that money one replica holds is never spent through the other, whatever that
// replica remembers of the account; and that the ledger's invariants hold afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { settlementAccountId } from '../../src/ids.js';
import { createService, type Service } from '../../src/service.js';
import { checkLedgerInvariants, describeViolations } from '../../src/verify/ledgerInvariants.js';
import { fundedAccount, newKey, startTestService, TEST_API_KEY, type ApiResponse, type TestService } from '../support/service.js';

const RACERS = 50;
const HOLD_AMOUNT = 100n;
const FUNDS = 1_000n;
/** Holds raced one after the other, then this many all at once. */
const HOLDS_IN_TURN = 4;
const HOLDS_AT_ONCE = 4;
/** Each racing partial reversal asks this much of a transaction of REVERSED_AMOUNT: exactly REVERSED_AMOUNT / PART may succeed. */
const REVERSED_AMOUNT = 100n;
const PART = 10n;

interface RacedHold {
  id: string;
  source: string;
  destination: string;
}

interface RaceResult {
  winner: ApiResponse;
  /** What the winner did: the hold's status afterwards. */
  status: 'captured' | 'voided';
  captured: bigint;
}

describe('captures and voids racing on one hold across two replicas', () => {
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

  function send(replica: Service, url: string, body: unknown): Promise<ApiResponse> {
    return replica.app
      .inject({
        method: 'POST',
        url,
        headers: { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json', 'idempotency-key': newKey() },
        payload: JSON.stringify(body),
      })
      .then((response) => ({ status: response.statusCode, headers: response.headers, body: JSON.parse(response.body), raw: response.body }));
  }

  async function openHold(currency: string, toWallet: boolean): Promise<RacedHold> {
    const source = await fundedAccount(api, currency, FUNDS);
    const destination = toWallet ? await fundedAccount(api, currency, 0n) : settlementAccountId(currency);
    const body = toWallet ? { source_account_id: source, destination_account_id: destination, amount: HOLD_AMOUNT.toString() } : { source_account_id: source, amount: HOLD_AMOUNT.toString() };
    const created = await api.request('POST', '/v1/holds', { body, idempotencyKey: newKey() });
    assert.equal(created.status, 201, created.raw);
    assert.equal(created.body.destination_account_id, destination);
    return { id: created.body.id, source, destination };
  }

  /** RACERS requests at once, alternating replicas; captures (of all, or of part) and voids interleaved. */
  async function race(hold: RacedHold): Promise<RaceResult> {
    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, index) => {
        const replica = index % 2 === 0 ? api.service : second;
        if (index % 3 === 2) return send(replica, `/v1/holds/${hold.id}/void`, {});
        const body = index % 3 === 0 ? {} : { amount: String(HOLD_AMOUNT - BigInt(index)) };
        return send(replica, `/v1/holds/${hold.id}/capture`, body);
      }),
    );
    const winners = responses.filter((response) => response.status === 201 || response.status === 200);
    assert.equal(winners.length, 1, `one winner among ${responses.map((response) => `${response.status} ${response.body.code ?? ''}`).join(', ')}`);
    const winner = winners[0]!;
    const status = winner.status === 201 ? 'captured' : 'voided';
    for (const response of responses) {
      if (response === winner) continue;
      assert.equal(response.status, 409, response.raw);
      assert.equal(response.body.code, 'hold_not_pending', response.raw);
      assert.equal(response.body.hold_status, status, response.raw);
    }
    if (status === 'captured') {
      assert.equal(winner.body.hold_id, hold.id, winner.raw);
      assert.equal(winner.body.type, hold.destination === settlementAccountId(winner.body.currency) ? 'withdrawal' : 'transfer', winner.raw);
    } else {
      assert.equal(winner.body.status, 'voided', winner.raw);
    }
    return { winner, status, captured: status === 'captured' ? BigInt(winner.body.amount) : 0n };
  }

  /** The hold's money moved once (or not at all) and its whole reservation was released, as both replicas read it. */
  async function assertSettled(hold: RacedHold, result: RaceResult): Promise<void> {
    for (const replica of [api.service, second]) {
      const read = async (url: string) => JSON.parse((await replica.app.inject({ method: 'GET', url, headers: { 'x-service-api-key': TEST_API_KEY } })).body);
      const source = await read(`/v1/accounts/${hold.source}`);
      assert.deepEqual(
        [source.balance, source.available_balance, source.pending_debits, source.pending_credits],
        [String(FUNDS - result.captured), String(FUNDS - result.captured), '0', '0'],
        `source of hold ${hold.id}`,
      );
      const destination = await read(`/v1/accounts/${hold.destination}`);
      assert.equal(destination.pending_credits, '0', `destination of hold ${hold.id}`);
      if (hold.destination !== settlementAccountId(destination.currency)) assert.equal(destination.balance, String(result.captured));
      const stored = await read(`/v1/holds/${hold.id}`);
      assert.deepEqual(
        [stored.status, stored.captured_amount, stored.capture_transaction_id],
        [result.status, String(result.captured), result.status === 'captured' ? result.winner.body.id : null],
      );
    }
    const { rows } = await api.database.pool.query(`SELECT id FROM ledger_transactions WHERE hold_id = $1`, [hold.id]);
    assert.deepEqual(rows.map((row) => row.id), result.status === 'captured' ? [result.winner.body.id] : [], 'a capture posts one transaction');
  }

  test('one hold after another: exactly one capture or void wins each', async () => {
    for (let index = 0; index < HOLDS_IN_TURN; index++) {
      const hold = await openHold('RCA', index % 2 === 0);
      await assertSettled(hold, await race(hold));
    }
  });

  test('several holds raced at once: exactly one winner each', async () => {
    const holds: RacedHold[] = [];
    for (let index = 0; index < HOLDS_AT_ONCE; index++) holds.push(await openHold('RCB', index % 2 === 1));
    const results = await Promise.all(holds.map(race));
    for (const [index, hold] of holds.entries()) await assertSettled(hold, results[index]!);
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
  });

  // The replica that created the hold remembers it as pending; once it has re-read the source
  // account (pending_debits 0) it must not plan against that memory (CommittedHolds.forgetHoldsOf).
  test('a hold created on one replica and captured on the other is answered from the database by the first', async () => {
    const source = await fundedAccount(api, 'RCD', FUNDS);
    const destination = await fundedAccount(api, 'RCD', 0n);
    const created = await send(api.service, '/v1/holds', { source_account_id: source, destination_account_id: destination, amount: HOLD_AMOUNT.toString() });
    assert.equal(created.status, 201, created.raw);
    const captureKey = newKey();
    const capture = (replica: Service) =>
      replica.app.inject({
        method: 'POST',
        url: `/v1/holds/${created.body.id}/capture`,
        headers: { 'x-service-api-key': TEST_API_KEY, 'content-type': 'application/json', 'idempotency-key': captureKey },
        payload: '{}',
      });
    const captured = await capture(second);
    assert.equal(captured.statusCode, 201, captured.body);
    // The first replica writes to the source again, and so learns its balance and pending sums anew.
    const deposit = await send(api.service, '/v1/transactions/deposit', { account_id: source, amount: '1' });
    assert.equal(deposit.status, 201, deposit.raw);

    const again = await send(api.service, `/v1/holds/${created.body.id}/capture`, {});
    assert.equal(again.status, 409, again.raw);
    assert.equal(again.body.hold_status, 'captured', again.raw);
    const voided = await send(api.service, `/v1/holds/${created.body.id}/void`, {});
    assert.equal(voided.status, 409, voided.raw);
    const replayed = await capture(api.service);
    assert.equal(replayed.statusCode, 201, replayed.body);
    assert.equal(replayed.body, captured.body);
    const read = await api.request('GET', `/v1/accounts/${source}`);
    assert.deepEqual([read.body.balance, read.body.pending_debits], [String(FUNDS - HOLD_AMOUNT + 1n), '0']);
  });

  test('money held through one replica cannot be spent through the other', async () => {
    const source = await fundedAccount(api, 'RCE', FUNDS);
    const destination = await fundedAccount(api, 'RCE', 0n);
    // The first replica writes to the source, and so remembers it with nothing held.
    assert.equal((await send(api.service, '/v1/transactions/deposit', { account_id: source, amount: '1' })).status, 201);
    const held = await send(second, '/v1/holds', { source_account_id: source, amount: '900' });
    assert.equal(held.status, 201, held.raw);
    const spent = await send(api.service, '/v1/transactions/transfer', { source_account_id: source, destination_account_id: destination, amount: '500' });
    assert.equal(spent.status, 422, spent.raw);
    assert.deepEqual([spent.body.code, spent.body.available_balance], ['insufficient_funds', '101']);
    const held2 = await send(api.service, '/v1/holds', { source_account_id: source, amount: '102' });
    assert.equal(held2.status, 422, held2.raw);
    const rest = await send(api.service, '/v1/transactions/withdraw', { account_id: source, amount: '101' });
    assert.equal(rest.status, 201, rest.raw);
    const read = await api.request('GET', `/v1/accounts/${source}`);
    assert.deepEqual([read.body.balance, read.body.pending_debits, read.body.available_balance], ['900', '900', '0']);
  });

  test('reversals racing on one transaction never reverse more than it moved', async () => {
    for (const partial of [true, false]) {
      const source = await fundedAccount(api, 'RCC', FUNDS);
      const destination = await fundedAccount(api, 'RCC', 0n);
      const transfer = await api.request('POST', '/v1/transactions/transfer', {
        body: { source_account_id: source, destination_account_id: destination, amount: REVERSED_AMOUNT.toString() },
        idempotencyKey: newKey(),
      });
      assert.equal(transfer.status, 201, transfer.raw);
      // Partial: each asks for PART; otherwise each asks for whatever is left.
      const responses = await Promise.all(
        Array.from({ length: RACERS }, (_, index) =>
          send(index % 2 === 0 ? api.service : second, `/v1/transactions/${transfer.body.id}/reverse`, partial ? { amount: PART.toString() } : {}),
        ),
      );
      const posted = responses.filter((response) => response.status === 201);
      for (const response of responses) {
        if (response.status === 201) continue;
        assert.equal(response.status, 422, response.raw);
        assert.equal(response.body.code, 'reversal_exceeds_original', response.raw);
      }
      const reversed = posted.reduce((sum, response) => sum + BigInt(response.body.amount), 0n);
      assert.equal(reversed, REVERSED_AMOUNT, `reversed in ${posted.length} reversals`);
      assert.equal(posted.length, partial ? Number(REVERSED_AMOUNT / PART) : 1);
      const original = await api.request('GET', `/v1/transactions/${transfer.body.id}`);
      assert.equal(original.body.reversed_amount, REVERSED_AMOUNT.toString());
      assert.equal((await api.request('GET', `/v1/accounts/${source}`)).body.balance, FUNDS.toString());
      assert.equal((await api.request('GET', `/v1/accounts/${destination}`)).body.balance, '0');
    }
    assert.deepEqual(describeViolations(await checkLedgerInvariants(api.database.pool)), []);
  });
});
