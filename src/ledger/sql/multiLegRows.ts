import type pg from 'pg';
import type { MultiLegTransactionRow, PostedLedgerTransaction } from '../ledgerRows.js';
import { legsOfEntries } from '../legsOfEntries.js';
import { readAccountKinds } from './readAccountKinds.js';

/**
 * Rebuilds the legs of the multi-leg transactions among those read (readLedgerTransactions): their
 * entries in id order, which is leg order, and each leg's currency, its accounts'. The currencies
 * take one more read, only when a multi-leg transaction is among them.
 */
export async function withLegs(queryable: pg.Pool | pg.PoolClient, found: Map<string, PostedLedgerTransaction>): Promise<void> {
  const multiLeg = [...found.values()].filter((posted) => posted.transaction.type === 'multi_leg');
  if (multiLeg.length === 0) return;
  const accountIds = [...new Set(multiLeg.flatMap((posted) => posted.entries.map((entry) => entry.account_id)))];
  const kinds = await readAccountKinds(queryable, accountIds);
  for (const posted of multiLeg) {
    posted.entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const legs = legsOfEntries(posted.entries, (accountId) => kinds.get(accountId)!.currency);
    (posted.transaction as MultiLegTransactionRow).legs = legs;
  }
}
