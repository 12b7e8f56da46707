import { pino } from 'pino';
import { workerData } from 'piscina';
import { systemClock } from '../src/clock.js';
import { createPool } from '../src/db/pool.js';
import { applyBatchWithRecovery } from '../src/ledger/applyBatchWithRecovery.js';
import { createLedgerContext } from '../src/ledger/ledgerContext.js';
import type { LedgerOperation, OperationResult } from '../src/ledger/operations.js';
import type { PlanSettings } from '../src/ledger/planBatch.js';

// A partition's writer thread: commits the batches its partition hands it, with its own pool.

export interface PartitionWorkerData {
  databaseUrl: string;
  poolMax: number;
  settings: PlanSettings;
  logLevel: string;
}

export type PartitionTask = { type: 'commit'; operations: LedgerOperation[] } | { type: 'close' };

const data = workerData as PartitionWorkerData;
const pool = createPool(data.databaseUrl, data.poolMax, 'wallet-ledger-partition');
const context = createLedgerContext(pool, systemClock, data.settings, pino({ level: data.logLevel }));

export default async function runPartitionTask(task: PartitionTask): Promise<OperationResult[]> {
  if (task.type === 'close') {
    await pool.end();
    return [];
  }
  return applyBatchWithRecovery(context, task.operations);
}
