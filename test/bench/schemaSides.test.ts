// Proves the A/B's schema sides (BENCH_AB_A_SCHEMA=previous): side A reverts the newest migration
// on a database with holds in it, side B applies it again, and moving to the side the database is
// already on changes nothing (a second Down would revert one migration too many).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readdir } from 'node:fs/promises';
import { moveSchemaTo } from '../../bench/schemaSides.js';
import { commitAndRespond } from '../../partitions/commitAndRespond.js';
import { appliedMigrationName } from '../../src/db/migrations.js';
import { newId } from '../../src/ids.js';
import { MIGRATIONS_DIR } from '../../src/paths.js';
import { createTestDatabase } from '../support/database.js';
import { quietLedgerContext } from '../support/ledgerSettings.js';

test('side A runs without the newest migration, side B with it, each move made once', async () => {
  const database = await createTestDatabase(2);
  try {
    const [previous, latest] = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.sql')).sort().slice(-2).map((file) => file.replace(/\.sql$/, ''));
    const context = quietLedgerContext(database.pool);
    const [source, destination] = [newId(), newId()];
    const opened = await commitAndRespond(context, [source, destination].map((accountId) => (
      { kind: 'open_account' as const, accountId, currency: 'USD', externalRef: null, metadata: {}, idempotency: undefined })));
    const funded = await commitAndRespond(context, [
      { kind: 'deposit', accountId: source, amount: 100n, currency: undefined, description: null, metadata: {}, idempotency: { key: 'sides-1', fingerprint: 'f1' } },
      {
        kind: 'create_hold', holdId: newId(), sourceAccountId: source, destinationAccountId: destination, amount: 10n, currency: undefined,
        expiresAt: new Date(Date.now() + 60_000), description: null, metadata: {}, idempotency: { key: 'sides-2', fingerprint: 'f2' },
      },
    ]);
    assert.deepEqual([...opened, ...funded].map((answer) => answer.statusCode), [201, 201, 201, 201]);
    // Events published and keys expired, purged as the relay and the service leave them: a migration's
    // way down may refuse rows it cannot render.
    await database.pool.query('DELETE FROM outbox');
    await database.pool.query('DELETE FROM idempotency_keys');

    await moveSchemaTo('A', database.url);
    assert.equal(await appliedMigrationName(database.pool), previous);
    await moveSchemaTo('A', database.url);
    assert.equal(await appliedMigrationName(database.pool), previous);
    await moveSchemaTo('B', database.url);
    assert.equal(await appliedMigrationName(database.pool), latest);
    await moveSchemaTo('B', database.url);
    assert.equal(await appliedMigrationName(database.pool), latest);
  } finally {
    await database.drop();
  }
});
