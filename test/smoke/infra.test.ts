import { test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { createTestDatabase, brokerUrl } from '../support/database.js';

test('infra', async () => {
  const db = await createTestDatabase();
  const r = await db.pool.query('select count(*) from accounts');
  assert.equal(r.rows[0].count, '0');
  await db.drop();
  const c = await amqp.connect(brokerUrl());
  await c.close();
});
