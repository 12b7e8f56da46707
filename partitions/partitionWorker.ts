import { pino } from 'pino';
import { workerData } from 'piscina';
import { systemClock } from '../src/clock.js';
import { createPool } from '../src/db/pool.js';
import { storedResponses } from '../src/http/writeResponses.js';
import { createLedgerContext } from '../src/ledger/ledgerContext.js';
import type { LedgerOperation } from '../src/ledger/operations.js';
import type { PlanSettings } from '../src/ledger/planBatch.js';
import { commitAndReport, type CommittedAnswers } from './commitAndRespond.js';

// A partition's writer thread: plans, commits and renders the batches its partition hands it, with
// its own pool. The main thread keeps only HTTP parsing, validation and routing.

export interface PartitionWorkerData {
  databaseUrl: string;
  poolMax: number;
  /** The plain settings: functions do not cross threads, the renderer is this thread's own. */
  settings: Omit<PlanSettings, 'storedResponses'>;
  logLevel: string;
}

export type PartitionTask = { type: 'commit'; operations: LedgerOperation[] } | { type: 'close' };

const data = workerData as PartitionWorkerData;
const pool = createPool(data.databaseUrl, data.poolMax, { applicationName: 'wallet-ledger-partition', keptConnections: data.poolMax });
const context = createLedgerContext(pool, systemClock, { ...data.settings, storedResponses }, pino({ level: data.logLevel }));

export default async function runPartitionTask(task: PartitionTask): Promise<CommittedAnswers | undefined> {
  if (task.type === 'close') {
    await pool.end();
    return undefined;
  }
  return commitAndReport(context, task.operations);
}
