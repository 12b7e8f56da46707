// Proves the authorize-then-capture load captures exactly the holds it created (each capture names
// the id of its connection's last hold answer, with a fresh Idempotency-Key), counts pairs and
// writes, never follows a refused hold with a capture (the refusal fails the run) and is refused at
// a fixed rate; the service is a small in-memory stand-in of the holds API, since what is proven is
// the load generator's side of the contract.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { accountId, AMOUNT_MAX, CURRENCY } from '../../bench/accounts.js';
import { holdIdOf } from '../../bench/holdSequence.js';
import { runLoad } from '../../bench/loadClient.js';
import { captureRequest, holdRequest } from '../../bench/loadScenarios.js';

const ACCOUNTS = 50;
const CONNECTIONS = 4;
const DURATION_SECONDS = 1;
const API_KEY = 'bench-test-key';

interface StandIn {
  url: string;
  holds: Map<string, { status: string; amount: string }>;
  capturesOfUnknownHolds: number;
  idempotencyKeys: Set<string>;
  close(): Promise<void>;
}

/** The holds API's two writes, in memory; `refuse` picks holds to answer 422 instead. */
async function startStandIn(refuse: (holdNumber: number) => boolean = () => false): Promise<StandIn> {
  const holds = new Map<string, { status: string; amount: string }>();
  const idempotencyKeys = new Set<string>();
  let holdNumber = 0;
  const standIn = { holds, idempotencyKeys, capturesOfUnknownHolds: 0 };
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const key = request.headers['idempotency-key'];
      const answer = (status: number, json: object) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      if (typeof key !== 'string' || idempotencyKeys.has(key) || request.headers['x-service-api-key'] !== API_KEY) return answer(400, { title: 'bad headers' });
      idempotencyKeys.add(key);
      const capture = request.url?.match(/^\/v1\/holds\/([^/]+)\/capture$/);
      if (request.method === 'POST' && request.url === '/v1/holds') {
        if (refuse(++holdNumber)) return answer(422, { title: 'insufficient available balance' });
        const { amount } = JSON.parse(body) as { amount: string };
        const id = randomUUID();
        holds.set(id, { status: 'pending', amount });
        return answer(201, { id, status: 'pending', amount, captured_amount: '0' });
      }
      const hold = capture && holds.get(decodeURIComponent(capture[1]!));
      if (request.method === 'POST' && hold && hold.status === 'pending' && body === '{}') {
        hold.status = 'captured';
        return answer(201, { id: randomUUID(), type: 'transfer', amount: hold.amount });
      }
      standIn.capturesOfUnknownHolds++;
      return answer(404, { title: 'no such pending hold' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(standIn, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

function runPairs(url: string) {
  return runLoad({ url, apiKey: API_KEY, kind: 'authorize_capture', accounts: ACCOUNTS, connections: CONNECTIONS, durationSeconds: DURATION_SECONDS }, 'authorize_capture (test)', async () => {});
}

test('a hold goes from a seeded account to another seeded account, for a positive amount; its capture takes the whole amount', () => {
  for (let i = 0; i < 200; i++) {
    const body = JSON.parse(holdRequest(ACCOUNTS).body!) as Record<string, string>;
    assert.notEqual(body.source_account_id, body.destination_account_id);
    for (const id of [body.source_account_id, body.destination_account_id]) {
      assert.ok(Array.from({ length: ACCOUNTS }, (_, n) => accountId(n + 1)).includes(id!), `${id} is seeded`);
    }
    assert.ok(BigInt(body.amount!) >= 1n && BigInt(body.amount!) <= BigInt(AMOUNT_MAX));
    assert.equal(body.currency, CURRENCY);
  }
  assert.deepEqual(captureRequest('h-1'), { method: 'POST', path: '/v1/holds/h-1/capture', body: '{}' });
});

test('an answer to POST /v1/holds without a hold id breaks the contract', () => {
  assert.equal(holdIdOf('{"id":"abc","status":"pending"}'), 'abc');
  assert.throws(() => holdIdOf('{"status":"pending"}'), /without a hold id/);
  assert.throws(() => holdIdOf('{"id":""}'), /without a hold id/);
});

test('every capture names a hold its connection just created, and the result counts pairs and writes', async () => {
  const standIn = await startStandIn();
  try {
    const result = await runPairs(standIn.url);
    const captured = [...standIn.holds.values()].filter((hold) => hold.status === 'captured').length;
    assert.equal(result.non2xx + result.errors + result.timeouts, 0, result.firstFailure);
    assert.equal(standIn.capturesOfUnknownHolds, 0);
    assert.ok(captured > 0, 'holds were captured');
    // When the load stops, each connection may have one request the stand-in answered but the
    // generator no longer counted, and one hold whose capture it never sent.
    const uncounted = (served: number, counted: number) => served - counted >= 0 && served - counted <= CONNECTIONS;
    assert.ok(uncounted(captured, result.sequencesCompleted!), `${captured} captured, ${result.sequencesCompleted} pairs counted`);
    assert.ok(uncounted(standIn.holds.size + captured, result.statusCounts['201']!), 'every 201 counted is a hold or a capture');
    assert.ok(uncounted(standIn.holds.size, captured), `${standIn.holds.size - captured} holds left pending`);
    assert.ok(uncounted(standIn.idempotencyKeys.size, result.responses), 'every write carried a fresh Idempotency-Key');
  } finally {
    await standIn.close();
  }
});

test('a refused hold fails the run and is never followed by a capture', async () => {
  const standIn = await startStandIn((holdNumber) => holdNumber % 3 === 0);
  try {
    const result = await runPairs(standIn.url);
    assert.ok(result.non2xx > 0, 'the refusals are counted');
    assert.match(result.firstFailure ?? '', /^422 .*insufficient available balance/);
    assert.equal(standIn.capturesOfUnknownHolds, 0, 'no capture without a hold id');
    assert.ok((result.sequencesCompleted ?? 0) > 0, 'the other pairs went on');
  } finally {
    await standIn.close();
  }
});

test('authorize_capture is refused at a fixed rate: an open loop cannot wait for the hold before its capture', async () => {
  const standIn = await startStandIn();
  try {
    const job = { url: standIn.url, apiKey: API_KEY, kind: 'authorize_capture' as const, accounts: ACCOUNTS, connections: CONNECTIONS, durationSeconds: DURATION_SECONDS, overallRate: 100 };
    await assert.rejects(runLoad(job, 'authorize_capture paced (test)', async () => {}), /authorize_capture runs as fast as the service answers only/);
    assert.equal(standIn.holds.size, 0, 'nothing was sent');
  } finally {
    await standIn.close();
  }
});
