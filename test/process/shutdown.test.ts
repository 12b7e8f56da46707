// Proves graceful shutdown: on SIGTERM the server answers every request it had accepted, commits
// them, and exits 0; nothing it acknowledged is missing from the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../support/database.js';
import { httpRequest, startServerProcess } from '../support/serverProcess.js';

test('SIGTERM with requests in flight: each gets an answer, acknowledged ones are committed, exit 0', async () => {
  const database = await createTestDatabase();
  try {
    const server = await startServerProcess(database.url, { BATCH_MAX: '4' });
    const opened = await httpRequest(server.url, 'POST', '/v1/accounts', { currency: 'USD' });
    let firstAnswer: () => void;
    const answered = new Promise<void>((resolve) => (firstAnswer = resolve));
    const inFlight = Array.from({ length: 200 }, (_, index) =>
      httpRequest(server.url, 'POST', '/v1/transactions/deposit', { account_id: opened.body.id, amount: '1' }, `shutdown-${index}`).then(
        (response) => {
          firstAnswer();
          return response.status;
        },
        () => 'no answer' as const,
      ),
    );
    // Stop while the load is running: after the first answer, with most requests still queued.
    await answered;
    const exitCode = await server.stop('SIGTERM');
    const statuses = await Promise.all(inFlight);
    assert.equal(exitCode, 0, server.output());
    const acknowledged = statuses.filter((status) => status === 201).length;
    assert.ok(acknowledged > 0, 'some deposits were acknowledged before shutdown');
    // Accepted requests are answered 201; connections refused after close never reached the service.
    assert.ok(statuses.every((status) => status === 201 || status === 'no answer' || status === 503), `statuses ${[...new Set(statuses)]}`);
    const balance = await database.pool.query('SELECT balance::text FROM accounts WHERE id = $1', [opened.body.id]);
    assert.equal(balance.rows[0].balance, String(acknowledged));
  } finally {
    await database.drop();
  }
});
