import type pg from 'pg';
import { settlementAccountId } from '../../ids.js';

/** Opens the settlement account of each currency that has none yet (on demand, race-free). */
export async function ensureSettlementAccounts(db: pg.Pool | pg.PoolClient, currencies: string[], now: Date): Promise<void> {
  await db.query({
    name: 'ensure_settlement_accounts',
    text: `INSERT INTO accounts (id, kind, currency, created_at, updated_at)
           SELECT id, 'settlement', currency, $3, $3 FROM unnest($1::uuid[], $2::text[]) AS s(id, currency)
           ON CONFLICT DO NOTHING`,
    values: [currencies.map(settlementAccountId), currencies, now],
  });
}
