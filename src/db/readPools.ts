import type pg from 'pg';
import type { ReplicaMonitor } from './replicaMonitor.js';
import { classifyDatabaseError, isTransient } from './sqlstate.js';
import type { WalPosition } from './walPosition.js';

// Where a read runs: on the replica (DATABASE_READ_URL) when it is fresh enough for this read,
// otherwise on the primary. Fresh enough: it has replayed the position the caller sent back
// (X-Ledger-Position), waiting at most READ_POSITION_WAIT_MS for it, and it is stale by at most
// READ_MAX_LAG_MS, a token or not (a token only promises the caller's own writes). A read the
// replica fails as a lost connection or a recovery conflict would runs again on the primary
// (reads change nothing, so running one twice is harmless).

export type ReadSource = 'replica' | 'primary';

export interface ReplicaReads {
  pool: pg.Pool;
  monitor: ReplicaMonitor;
  maxLagMs: number;
  positionWaitMs: number;
}

export class ReadPools {
  constructor(
    private readonly primary: pg.Pool,
    private readonly replica: ReplicaReads | undefined,
    /** Told where each read was answered, for the metrics. */
    private readonly served: (source: ReadSource) => void = () => {},
  ) {}

  /** Runs `work` on the pool this read may use; `position`: the caller's X-Ledger-Position, if sent. */
  async run<T>(position: WalPosition | undefined, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
    if (this.replica && (await this.replicaServes(this.replica, position))) {
      try {
        const result = await work(this.replica.pool);
        this.served('replica');
        return result;
      } catch (error) {
        if (!isTransient(classifyDatabaseError(error))) {
          this.served('replica');
          throw error;
        }
        this.replica.monitor.markUnavailable();
      }
    }
    this.served('primary');
    return work(this.primary);
  }

  private async replicaServes(replica: ReplicaReads, position: WalPosition | undefined): Promise<boolean> {
    if (replica.monitor.stalenessMs() > replica.maxLagMs) return false;
    return position === undefined || replica.monitor.waitForReplay(position, replica.positionWaitMs);
  }
}
