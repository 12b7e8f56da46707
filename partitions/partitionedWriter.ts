import { createHash } from 'node:crypto';
import type { LedgerContext } from '../src/ledger/ledgerContext.js';
import type { LedgerWriter } from '../src/ledger/ledgerWriter.js';
import { routingAccountId, type LedgerOperation, type OperationResult } from '../src/ledger/operations.js';
import { Partition } from './partition.js';

// Routes each operation by a hash of its account to one partition, so that one account's
// operations are always serialized by the same writer, in arrival order.

export function partitionOf(accountId: string, partitions: number): number {
  return createHash('sha1').update(accountId).digest().readUInt32BE(0) % partitions;
}

export class PartitionedWriter implements LedgerWriter {
  private readonly partitions: Partition[];

  constructor(context: LedgerContext, options: { partitions: number; batchMax: number; queueMax: number }) {
    this.partitions = Array.from({ length: options.partitions }, () => new Partition(context, options.batchMax, options.queueMax));
  }

  submit(operation: LedgerOperation): Promise<OperationResult> {
    return this.partitions[partitionOf(routingAccountId(operation), this.partitions.length)]!.submit(operation);
  }

  async close(): Promise<void> {
    await Promise.all(this.partitions.map((partition) => partition.close()));
  }
}
